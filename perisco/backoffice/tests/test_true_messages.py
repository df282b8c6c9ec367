"""What staff and families read after an action is true for the case at hand: an e-mail
is said to be sent only when one was queued, the child's gender agrees, an auto-accepted
kind says it applies at once, and no e-mail promises booking before it exists."""

from datetime import date

import pytest
from django.contrib.messages import get_messages

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.services import enrollment_request, enrollment_validate
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.conftest import sign_in
from perisco.families.models import ChangeRequest, Guardian, RequestKind, RequestKindSetting
from perisco.families.requests import request_submit
from perisco.families.tests.factories import (
    ChildFactory,
    FamilyFactory,
    GuardianFactory,
    guardian_user,
)


@pytest.fixture
def manager(organisation):
    return UserFactory(organisation=organisation, role=Role.MANAGER)


def _messages(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _refuse(client, manager, family, actor):
    change = request_submit(
        actor=actor, family=family, kind=RequestKind.SITUATION, values={"marital_status": "married"}
    )
    sign_in(client, manager)
    return client.post(f"/demo/gestion/demandes/{change.pk}/refuser/", {"reason": "Justificatif"})


def test_refusing_for_a_family_without_login_does_not_claim_it_was_told(
    client, organisation, manager, django_capture_on_commit_callbacks
):
    family = FamilyFactory(organisation=organisation)
    GuardianFactory(family=family, rank=1)  # known at the town hall, no login
    with django_capture_on_commit_callbacks(execute=True):
        response = _refuse(client, manager, family, manager)
    text = _messages(response)
    assert "informée du motif" not in text
    assert "Aucun e-mail n'a été envoyé" in text


def test_refusing_for_a_family_with_a_login_says_it_was_told_by_email(
    client, organisation, manager, mailoutbox, django_capture_on_commit_callbacks
):
    parent = guardian_user(organisation)
    family = Guardian.objects.get(user=parent).family
    with django_capture_on_commit_callbacks(execute=True):
        response = _refuse(client, manager, family, parent)
    assert "informée du motif par e-mail" in _messages(response)
    assert "refusée" in mailoutbox[-1].subject


def test_an_auto_accepted_kind_says_it_applies_at_once(client, organisation):
    parent = guardian_user(organisation)
    child = ChildFactory(
        organisation=organisation, families=[Guardian.objects.get(user=parent).family]
    )
    RequestKindSetting.objects.create(
        organisation=organisation, kind=RequestKind.COMPLEMENTARY, auto_accept=True
    )
    client.force_login(parent)
    url = f"/demo/famille/enfants/{child.pk}/demande/complementary/"
    page = client.get(url).text
    assert "vérifie la demande" not in page
    assert "mis à jour aussitôt" in page
    response = client.post(url, {"glasses": "on", "other_needs": "Gaucher"})
    assert ChangeRequest.objects.get().status == "accepted"
    assert "votre dossier est mis à jour" in _messages(response)


@pytest.mark.parametrize(
    ("sex", "word", "wrong"),
    [("F", "Louise est inscrite", "inscrit(e)"), ("M", "Louise est inscrit.", "inscrit(e)")],
)
def test_staff_enrolling_a_child_write_the_childs_gender(
    client, organisation, manager, sex, word, wrong
):
    family = FamilyFactory(organisation=organisation)
    child = ChildFactory(organisation=organisation, first_name="Louise", sex=sex, families=[family])
    period = PeriodFactory(activity__organisation=organisation)
    sign_in(client, manager)
    response = client.post(
        f"/demo/gestion/familles/{family.pk}/enfants/{child.pk}/inscrire/?periode={period.pk}",
        {"start": "2026-09-01", "end": "2027-07-03"},
    )
    text = _messages(response)
    assert word in text and wrong not in text
    assert "Aucun e-mail n'a été envoyé" in text  # this family has no login


def test_the_enrollment_email_agrees_and_does_not_promise_booking(
    organisation, manager, mailoutbox, django_capture_on_commit_callbacks
):
    parent = guardian_user(organisation)
    family = Guardian.objects.get(user=parent).family
    child = ChildFactory(
        organisation=organisation,
        first_name="Léo",
        sex="M",
        birth_date=date(2018, 1, 1),
        families=[family],
    )
    period = PeriodFactory(activity__organisation=organisation)
    UnitFactory(activity=period.activity)
    enrollment = enrollment_request(actor=parent, family=family, child=child, period=period)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrollment_validate(actor=manager, enrollment=enrollment)
    body = mailoutbox[-1].body
    assert "Léo est inscrit à" in body and "(e)" not in body
    assert "réserver" not in body
    assert enrollment.family_emailed == 1


def test_the_child_page_and_sheet_agree_with_the_child(client, organisation):
    from django.template.loader import render_to_string
    from django.utils.translation import override

    parent = guardian_user(organisation)
    child = ChildFactory(
        organisation=organisation, sex="F", families=[Guardian.objects.get(user=parent).family]
    )
    client.force_login(parent)
    page = client.get(f"/demo/famille/enfants/{child.pk}/").text
    assert "Née le" in page and "Né(e)" not in page
    with override("fr"):
        sheet = render_to_string(
            "families/child_sheet.html",
            {"child": child, "age": 8, "organisation": organisation, "guardians": []},
        )
    assert "Née le" in sheet and "Né(e)" not in sheet
