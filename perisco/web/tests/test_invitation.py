import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.conftest import sign_in
from perisco.families.tests.factories import GuardianFactory


@pytest.fixture
def manager(organisation):
    return UserFactory(organisation=organisation, role=Role.MANAGER)


def invite(client, manager, guardian, capture):
    sign_in(client, manager)
    with capture(execute=True):
        response = client.post(f"/demo/gestion/comptes-familles/{guardian.pk}/invitation/")
    client.logout()
    return response


def link_in(message) -> str:
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


def test_staff_invite_a_guardian_who_sets_a_password_and_signs_in(
    client, organisation, manager, mailoutbox, django_capture_on_commit_callbacks
):
    guardian = GuardianFactory(family__organisation=organisation, email="jeanne@example.test")
    invite(client, manager, guardian, django_capture_on_commit_callbacks)
    guardian.refresh_from_db()
    assert guardian.user.role == Role.GUARDIAN
    assert not guardian.user.has_usable_password()
    assert mailoutbox[0].to == ["jeanne@example.test"]
    assert "7 jours" in mailoutbox[0].body
    url = link_in(mailoutbox[0])
    response = client.post(
        url, {"new_password1": "Soleil-du-lac-2026", "new_password2": "Soleil-du-lac-2026"}
    )
    assert response["Location"] == "/demo/famille/"
    assert client.get("/demo/famille/").status_code == 200
    client.logout()
    assert client.get(url).status_code == 400  # single use


def test_the_invitation_expires_after_seven_days(
    client, organisation, manager, mailoutbox, django_capture_on_commit_callbacks
):
    guardian = GuardianFactory(family__organisation=organisation)
    invite(client, manager, guardian, django_capture_on_commit_callbacks)
    url = link_in(mailoutbox[0])
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert client.get(url).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        assert client.get(url).status_code == 400


def test_sending_again_voids_the_earlier_link(
    client, organisation, manager, mailoutbox, django_capture_on_commit_callbacks
):
    guardian = GuardianFactory(family__organisation=organisation)
    invite(client, manager, guardian, django_capture_on_commit_callbacks)
    invite(client, manager, guardian, django_capture_on_commit_callbacks)
    first, second = link_in(mailoutbox[0]), link_in(mailoutbox[1])
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200
    assert User.all_objects.filter(email=guardian.email).count() == 1


def test_a_guardian_without_email_cannot_be_invited(
    client, organisation, manager, mailoutbox, django_capture_on_commit_callbacks
):
    client.cookies["perisco_language"] = "en"
    guardian = GuardianFactory(family__organisation=organisation, email="")
    sign_in(client, manager)
    response = client.post(f"/demo/gestion/comptes-familles/{guardian.pk}/invitation/", follow=True)
    assert "has no e-mail address" in response.text
    assert mailoutbox == []


def test_a_guardian_with_a_password_is_not_invited_again(
    client, organisation, manager, mailoutbox, django_capture_on_commit_callbacks
):
    client.cookies["perisco_language"] = "en"
    guardian = GuardianFactory(family__organisation=organisation)
    guardian.user = UserFactory(organisation=organisation, role=Role.GUARDIAN, email=guardian.email)
    guardian.save()
    sign_in(client, manager)
    response = client.post(f"/demo/gestion/comptes-familles/{guardian.pk}/invitation/", follow=True)
    assert "already chosen a password" in response.text
    assert mailoutbox == []


def test_a_guardian_of_another_organisation_is_404(
    client, organisation, other_organisation, manager
):
    guardian = GuardianFactory(family__organisation=other_organisation)
    sign_in(client, manager)
    assert (
        client.post(f"/demo/gestion/comptes-familles/{guardian.pk}/invitation/").status_code == 404
    )


def test_staff_invitations_give_the_chosen_role(
    client, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    sign_in(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/demo/gestion/personnel/",
            {
                "first_name": "Ana",
                "last_name": "Lopez",
                "email": "Ana.Lopez@Example.test",
                "role": Role.FINANCE,
                "language": "en",
            },
        )
    assert response.status_code == 302
    user = User.all_objects.get(email="ana.lopez@example.test")
    assert (user.role, user.organisation, user.language) == (Role.FINANCE, organisation, "en")
    assert mailoutbox[0].subject.startswith("Your account on the portal of Ville de Démo")
    client.logout()
    url = link_in(mailoutbox[0])
    client.post(url, {"new_password1": "Compta-2026-x", "new_password2": "Compta-2026-x"})
    assert client.get("/demo/gestion/").status_code == 200


def test_a_staff_invitation_to_an_existing_address_is_refused(client, organisation, mailoutbox):
    client.cookies["perisco_language"] = "en"
    admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    UserFactory(organisation=organisation, email="taken@example.test")
    sign_in(client, admin)
    response = client.post(
        "/demo/gestion/personnel/",
        {
            "first_name": "A",
            "last_name": "B",
            "email": "taken@example.test",
            "role": Role.AGENT,
            "language": "fr",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.text
    assert mailoutbox == []
