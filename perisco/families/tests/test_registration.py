import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from perisco.accounts.models import User
from perisco.conftest import sign_in
from perisco.core.tests.factories import SchoolFactory
from perisco.families.models import ChangeRequest, Family, FamilyStatus, RequestKind
from perisco.families.requests import request_accept, request_refuse
from perisco.families.services import registrations_purge_unverified

GUARDIAN = {
    "g1-civility": "mme",
    "g1-first_name": "Amina",
    "g1-last_name": "Benali",
    "g1-quality": "mother",
    "g1-email": "Amina@Example.test",
    "g1-mobile_phone": "0612345678",
}
HOUSEHOLD = {
    "address": "5 rue du Stade",
    "postal_code": "64110",
    "city": "Démo",
    "marital_status": "single",
}


def children(school, **child):
    return {
        "children-TOTAL_FORMS": "1",
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "1",
        "children-MAX_NUM_FORMS": "8",
        "children-0-first_name": "Yanis",
        "children-0-last_name": "Benali",
        "children-0-birth_date": "2019-06-02",
        "children-0-sex": "M",
        "children-0-school": str(school.pk),
        "children-0-school_class": "CE1",
        **{f"children-0-{k}": v for k, v in child.items()},
    }


@pytest.fixture
def register(client, organisation, django_capture_on_commit_callbacks):
    school = SchoolFactory(organisation=organisation)

    def run(**child):
        assert client.post("/demo/inscription/1/", GUARDIAN).status_code == 302
        assert client.post("/demo/inscription/2/", HOUSEHOLD).status_code == 302
        response = client.post("/demo/inscription/3/", children(school, **child))
        if response.status_code != 302:
            return response
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/demo/inscription/4/", {"rules_accepted": "on"})

    return run


def link_in(message):
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


def test_a_family_registers_confirms_and_is_validated(
    client, register, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    from perisco.accounts.roles import Role
    from perisco.accounts.tests.factories import UserFactory

    response = register()
    assert "Consultez vos e-mails" in response.text
    family = Family.objects.get(name="BENALI")
    assert family.status == FamilyStatus.UNVERIFIED
    assert family.children.get().first_name == "Yanis"
    assert not ChangeRequest.objects.exists()  # nothing for staff before the address is proven
    url = link_in(mailoutbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"new_password1": "Ma-famille-2026", "new_password2": "Ma-famille-2026"}
        )
    assert response["Location"] == "/demo/famille/"
    family.refresh_from_db()
    assert family.status == FamilyStatus.PENDING
    home = client.get("/demo/famille/")
    assert "en attente de validation" in home.text
    request = ChangeRequest.objects.get(kind=RequestKind.REGISTRATION)
    manager = UserFactory(organisation=organisation, role=Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        request_accept(actor=manager, request=request)
    family.refresh_from_db()
    assert family.status == FamilyStatus.ACTIVE
    assert "a validé votre inscription" in mailoutbox[-1].body
    assert client.get(url).status_code == 400  # the link worked once


def test_a_refused_registration_closes_the_login(client, register, organisation, mailoutbox):
    from perisco.accounts.roles import Role
    from perisco.accounts.tests.factories import UserFactory

    register()
    client.post(
        link_in(mailoutbox[0]),
        {"new_password1": "Ma-famille-2026", "new_password2": "Ma-famille-2026"},
    )
    request = ChangeRequest.objects.get(kind=RequestKind.REGISTRATION)
    request_refuse(
        actor=UserFactory(organisation=organisation, role=Role.MANAGER),
        request=request,
        reason="Vous n'habitez pas la commune.",
    )
    assert Family.objects.get().status == FamilyStatus.REFUSED
    assert not User.all_objects.get(email="amina@example.test").is_active
    assert client.get("/demo/famille/").status_code == 302


def test_an_address_with_an_account_creates_nothing_and_says_nothing(
    client, register, organisation, mailoutbox
):
    from perisco.accounts.tests.factories import UserFactory

    UserFactory(organisation=organisation, email="amina@example.test")
    response = register()
    assert "Consultez vos e-mails" in response.text
    assert not Family.objects.exists()
    assert mailoutbox[0].to == ["amina@example.test"]
    assert "déjà" in mailoutbox[0].subject


def test_a_birth_date_in_the_future_is_refused(register):
    response = register(birth_date="2099-01-01")
    assert response.status_code == 200
    assert "dans le futur" in response.text
    assert not Family.objects.exists()


def test_steps_cannot_be_skipped(client, organisation):
    assert client.get("/demo/inscription/3/")["Location"] == "/demo/inscription/1/"


def test_the_rules_must_be_accepted(client, register, organisation):
    school = SchoolFactory(organisation=organisation)
    client.post("/demo/inscription/1/", GUARDIAN)
    client.post("/demo/inscription/2/", HOUSEHOLD)
    client.post("/demo/inscription/3/", children(school))
    response = client.post("/demo/inscription/4/", {})
    assert "accepter le règlement" in response.text
    assert not Family.objects.exists()


def test_unconfirmed_registrations_are_forgotten_after_a_week(register, organisation):
    register()
    assert registrations_purge_unverified() == 0
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert registrations_purge_unverified() == 1
    assert not Family.objects.exists()
    assert not User.all_objects.filter(email="amina@example.test").exists()


def test_a_signed_in_user_is_sent_home(client, organisation):
    from perisco.accounts.tests.factories import UserFactory

    sign_in(client, UserFactory(organisation=organisation))
    assert client.get("/demo/inscription/1/")["Location"] == "/demo/gestion/"


def test_the_purge_command_runs_outside_any_scope(register, organisation):
    from django.core.management import call_command

    register()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        call_command("purge_unverified_registrations")
    assert not Family.objects.exists()
