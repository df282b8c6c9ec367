"""Each kind of request end to end: submitted, then accepted (applied) or refused
(nothing changes); auto-acceptance, superseding, outdated requests, history, e-mails."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from perisco.core.errors import DomainError
from perisco.core.tests.factories import SchoolFactory
from perisco.families.kinds import SPECS, current_object, snapshot
from perisco.families.models import (
    BankAccount,
    ChangeRequest,
    Child,
    ChildContact,
    Family,
    FamilyQuotient,
    Guardian,
    RequestKind,
    RequestKindSetting,
    RequestStatus,
)
from perisco.families.requests import (
    OutdatedRequest,
    file_edit,
    request_accept,
    request_refuse,
    request_submit,
    request_withdraw,
    requests_accept_many,
)
from perisco.families.tests.conftest import pdf_upload, png_upload

VALID_IBAN = "FR7630006000011234567890189"


def kind_case(kind, organisation, family, child):
    """(values, upload, check applied, check untouched) for one kind."""
    if kind == RequestKind.GUARDIAN:
        return (
            {"mobile_phone": "06 99 88 77 66"},
            None,
            lambda: family.guardians.get(rank=1).mobile_phone == "06 99 88 77 66",
        )
    if kind == RequestKind.SPOUSE:
        return (
            {"first_name": "Paul", "last_name": "Dupont", "quality": "father"},
            None,
            lambda: family.guardians.filter(rank=2, first_name="Paul").exists(),
        )
    if kind == RequestKind.SITUATION:
        return (
            {"marital_status": "divorced", "allowance_number": "1234567"},
            None,
            lambda: Family.objects.get(pk=family.pk).marital_status == "divorced",
        )
    if kind == RequestKind.FISCAL:
        return (
            {"value": 640, "valid_from": date(2026, 1, 1), "valid_until": date(2026, 12, 31)},
            pdf_upload(),
            lambda: FamilyQuotient.objects.filter(
                family=family, value=640, attestation__isnull=False
            ).exists(),
        )
    if kind == RequestKind.BANK:
        return (
            {
                "holder": "Jeanne Dupont",
                "iban": VALID_IBAN,
                "bic": "BNPAFRPPXXX",
                "bank_name": "BNP",
            },
            None,
            lambda: (
                BankAccount.objects.filter(family=family, iban=VALID_IBAN)
                .exclude(mandate_reference="")
                .exists()
            ),
        )
    if kind == RequestKind.NEW_CHILD:
        return (
            {
                "first_name": "Lou",
                "last_name": "Dupont",
                "birth_date": date(2022, 2, 3),
                "sex": "F",
                "school": SchoolFactory(organisation=organisation),
                "school_class": "PS",
            },
            None,
            lambda: family.children.filter(first_name="Lou").exists(),
        )
    if kind == RequestKind.CHILD:
        return (
            {"school_class": "CM2"},
            None,
            lambda: Child.objects.get(pk=child.pk).school_class == "CM2",
        )
    if kind == RequestKind.AUTHORISATIONS:
        return ({"leave_alone": True}, None, lambda: Child.objects.get(pk=child.pk).leave_alone)
    if kind == RequestKind.HEALTH:
        return (
            {"allergies": "Arachides", "diets": ["no_pork"], "has_pai": True},
            None,
            lambda: Child.objects.get(pk=child.pk).diets == ["no_pork"],
        )
    if kind == RequestKind.COMPLEMENTARY:
        return ({"glasses": True}, None, lambda: Child.objects.get(pk=child.pk).glasses)
    if kind == RequestKind.CONTACTS:
        contact = {
            "first_name": "Odile",
            "last_name": "Martin",
            "relationship": "voisine",
            "phone": "06 11 22 33 44",
            "can_pick_up": True,
            "emergency_contact": False,
        }
        return (
            {"contacts": [contact]},
            None,
            lambda: ChildContact.objects.filter(child=child, first_name="Odile").exists(),
        )
    if kind == RequestKind.PHOTO:
        return ({}, png_upload(), lambda: Child.objects.get(pk=child.pk).photo is not None)
    raise AssertionError(kind)


FORM_KINDS = [k for k in RequestKind if k != RequestKind.REGISTRATION]


def submit_kind(kind, organisation, parent, family, child):
    """Submit the typical request of this kind; return it and its 'is applied' probe."""
    values, upload, applied = kind_case(kind, organisation, family, child)
    spec = SPECS[kind]
    request = request_submit(
        actor=parent,
        family=family,
        kind=kind,
        values=values,
        child=None if spec.level == "family" or spec.creates else child,
        upload=upload,
    )
    return request, applied


@pytest.mark.parametrize("kind", FORM_KINDS)
def test_each_kind_is_applied_when_accepted(
    kind,
    organisation,
    parent,
    family,
    child,
    manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        request, applied = submit_kind(kind, organisation, parent, family, child)
    assert request.status == RequestStatus.PENDING
    assert not applied()  # nothing changes before a decision
    assert mailoutbox[-1].subject.startswith(f"Demande n° {request.pk} reçue")
    with django_capture_on_commit_callbacks(execute=True):
        request_accept(actor=manager, request=request)
    assert applied()
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (RequestStatus.ACCEPTED, manager)
    assert "acceptée" in mailoutbox[-1].subject


@pytest.mark.parametrize("kind", FORM_KINDS)
def test_each_kind_changes_nothing_when_refused(
    kind,
    organisation,
    parent,
    family,
    child,
    manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    request, applied = submit_kind(kind, organisation, parent, family, child)
    with django_capture_on_commit_callbacks(execute=True):
        request_refuse(actor=manager, request=request, reason="Pièce justificative manquante.")
    assert not applied()
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    assert "Pièce justificative manquante." in mailoutbox[-1].body


def test_a_refusal_needs_a_reason(parent, family, manager):
    request = request_submit(
        actor=parent, family=family, kind=RequestKind.GUARDIAN, values={"city": "Pau"}
    )
    with pytest.raises(DomainError):
        request_refuse(actor=manager, request=request, reason="   ")
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_a_request_that_changes_nothing_is_refused(parent, family):
    guardian = family.guardians.get(rank=1)
    with pytest.raises(DomainError, match=r"Nothing has changed|Rien n'a changé"):
        request_submit(
            actor=parent,
            family=family,
            kind=RequestKind.GUARDIAN,
            values={"first_name": guardian.first_name},
        )
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        (RequestKind.BANK, {"holder": "X", "iban": "FR7630006000011234567890188", "bic": ""}),
        (RequestKind.BANK, {"holder": "X", "iban": VALID_IBAN, "bic": "NOTABIC!"}),
        (
            RequestKind.FISCAL,
            {"value": 500, "valid_from": date(2026, 5, 1), "valid_until": date(2026, 1, 1)},
        ),
    ],
)
def test_invalid_values_are_refused_when_submitted(parent, family, kind, values):
    upload = pdf_upload() if kind == RequestKind.FISCAL else None
    with pytest.raises(DomainError):
        request_submit(actor=parent, family=family, kind=kind, values=values, upload=upload)
    assert not ChangeRequest.objects.exists()


def test_a_birth_date_in_the_future_is_refused(parent, family):
    with pytest.raises(DomainError):
        request_submit(
            actor=parent,
            family=family,
            kind=RequestKind.NEW_CHILD,
            values={
                "first_name": "Lou",
                "last_name": "X",
                "birth_date": date(2099, 1, 1),
                "sex": "F",
                "school": None,
                "school_class": "",
            },
        )


def test_a_school_of_another_organisation_is_refused(parent, family, other_organisation, child):
    from perisco.core.scoping import organisation_scope

    elsewhere = SchoolFactory(organisation=other_organisation)
    with organisation_scope(family.organisation), pytest.raises(DomainError):
        request_submit(
            actor=parent,
            family=family,
            kind=RequestKind.CHILD,
            values={"school": elsewhere},
            child=child,
        )


def test_auto_accepted_kinds_are_applied_at_once(
    organisation, parent, family, mailoutbox, django_capture_on_commit_callbacks
):
    RequestKindSetting.objects.create(
        organisation=organisation, kind=RequestKind.GUARDIAN, auto_accept=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = request_submit(
            actor=parent,
            family=family,
            kind=RequestKind.GUARDIAN,
            values={"phone_work": "05 00 00 00 00"},
        )
    assert request.status == RequestStatus.ACCEPTED
    assert request.decided_by is None
    assert family.guardians.get(rank=1).phone_work == "05 00 00 00 00"
    assert len(mailoutbox) == 1 and "acceptée" in mailoutbox[0].subject


def test_a_later_request_on_the_same_field_supersedes_the_earlier(parent, family):
    first = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.GUARDIAN,
        values={"mobile_phone": "06 00 00 00 01"},
    )
    other_field = request_submit(
        actor=parent, family=family, kind=RequestKind.GUARDIAN, values={"city": "Pau"}
    )
    second = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.GUARDIAN,
        values={"mobile_phone": "06 00 00 00 02"},
    )
    first.refresh_from_db()
    other_field.refresh_from_db()
    assert first.superseded_by == second
    assert other_field.superseded_by is None


def test_accepting_an_outdated_request_needs_a_confirmation(parent, family, manager):
    request = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.GUARDIAN,
        values={"mobile_phone": "06 00 00 00 01"},
    )
    file_edit(
        actor=manager,
        family=family,
        kind=RequestKind.GUARDIAN,
        values={"mobile_phone": "06 55 55 55 55"},
    )
    with pytest.raises(OutdatedRequest):
        request_accept(actor=manager, request=request)
    assert family.guardians.get(rank=1).mobile_phone == "06 55 55 55 55"
    request_accept(actor=manager, request=request, confirm_outdated=True)
    assert family.guardians.get(rank=1).mobile_phone == "06 00 00 00 01"


def test_a_request_is_decided_once(parent, family, manager):
    request = request_submit(
        actor=parent, family=family, kind=RequestKind.GUARDIAN, values={"city": "Pau"}
    )
    request_accept(actor=manager, request=request)
    with pytest.raises(DomainError):
        request_accept(actor=manager, request=request)
    with pytest.raises(DomainError):
        request_refuse(actor=manager, request=request, reason="non")
    with pytest.raises(DomainError):
        request_withdraw(actor=parent, request=request)


def test_a_family_withdraws_a_pending_request(parent, family):
    request = request_submit(
        actor=parent, family=family, kind=RequestKind.GUARDIAN, values={"city": "Pau"}
    )
    request_withdraw(actor=parent, request=request)
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    assert family.guardians.get(rank=1).city != "Pau"


def test_bulk_acceptance_leaves_outdated_requests_for_a_closer_look(parent, family, manager):
    fine = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.SITUATION,
        values={"marital_status": "married"},
    )
    stale = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.GUARDIAN,
        values={"mobile_phone": "06 00 00 00 01"},
    )
    file_edit(
        actor=manager,
        family=family,
        kind=RequestKind.GUARDIAN,
        values={"mobile_phone": "06 55 55 55 55"},
    )
    report = requests_accept_many(actor=manager, requests=[fine, stale])
    assert report.accepted == [fine]
    assert [r for r, _reason in report.skipped] == [stale]


def test_the_history_records_who_changed_what(client, organisation, parent, family, manager):
    from perisco.conftest import sign_in

    request = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.GUARDIAN,
        values={"mobile_phone": "06 00 00 00 01"},
    )
    sign_in(client, manager)
    client.post(f"/demo/gestion/demandes/{request.pk}/accepter/")
    record = family.guardians.get(rank=1).history.first()
    assert record.history_user == manager
    assert record.history_change_reason == f"request #{request.pk}"
    assert record.prev_record.mobile_phone != "06 00 00 00 01"
    assert record.mobile_phone == "06 00 00 00 01"


def test_a_new_quotient_closes_the_open_ended_one(organisation, parent, family, manager):
    FamilyQuotient.objects.create(
        organisation=organisation, family=family, value=500, valid_from=date(2025, 1, 1)
    )
    request = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.FISCAL,
        values={"value": 700, "valid_from": date(2026, 1, 1), "valid_until": None},
        upload=pdf_upload(),
    )
    request_accept(actor=manager, request=request)
    old = FamilyQuotient.objects.get(value=500)
    assert old.valid_until == date(2025, 12, 31)


def test_overlapping_quotients_are_refused(organisation, parent, family):
    FamilyQuotient.objects.create(
        organisation=organisation,
        family=family,
        value=500,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
    )
    with pytest.raises(DomainError, match=r"overlap|chevauchent"):
        request_submit(
            actor=parent,
            family=family,
            kind=RequestKind.FISCAL,
            values={"value": 700, "valid_from": date(2026, 6, 1), "valid_until": date(2027, 5, 31)},
            upload=pdf_upload(),
        )


def test_guardians_who_refuse_emails_are_not_emailed(
    parent, family, manager, mailoutbox, django_capture_on_commit_callbacks
):
    Guardian.objects.filter(family=family).update(consent_email=False)
    with django_capture_on_commit_callbacks(execute=True):
        request = request_submit(
            actor=parent, family=family, kind=RequestKind.GUARDIAN, values={"city": "Pau"}
        )
        request_accept(actor=manager, request=request)
    assert mailoutbox == []


def test_a_child_of_two_households_is_changed_for_both(
    organisation, parent, family, child, manager
):
    from perisco.families.tests.factories import guardian_user

    other_family = Guardian.objects.get(user=guardian_user(organisation)).family
    child.families.add(other_family, through_defaults={"organisation": organisation})
    request = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.HEALTH,
        values={"allergies": "Kiwi"},
        child=child,
    )
    request_accept(actor=manager, request=request)
    assert other_family.children.get(pk=child.pk).allergies == "Kiwi"


def test_the_snapshot_reads_the_current_values(family, child):
    spec = SPECS[RequestKind.AUTHORISATIONS]
    assert snapshot(spec, current_object(spec, family, child)) == {
        "image_rights": False,
        "leave_alone": False,
        "medical_intervention": True,
        "outings": True,
    }


def test_a_refused_request_without_reason_cannot_be_stored(parent, family):
    request = request_submit(
        actor=parent, family=family, kind=RequestKind.GUARDIAN, values={"city": "Pau"}
    )
    request.status, request.refusal_reason = RequestStatus.REFUSED, ""
    with pytest.raises(ValidationError):
        request.full_clean()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_staff_accepting_the_same_request_at_once_apply_it_once():
    import threading

    from django.db import connection

    from perisco.accounts.roles import Role
    from perisco.accounts.tests.factories import UserFactory
    from perisco.core.scoping import organisation_scope
    from perisco.core.tests.factories import OrganisationFactory
    from perisco.families.tests.factories import guardian_user

    organisation = OrganisationFactory()
    parent = guardian_user(organisation)
    family = Guardian.objects.get(user=parent).family
    staff = [UserFactory(organisation=organisation, role=Role.MANAGER) for _ in range(2)]
    request = request_submit(
        actor=parent,
        family=family,
        kind=RequestKind.NEW_CHILD,
        values={
            "first_name": "Lou",
            "last_name": "X",
            "birth_date": date(2020, 1, 1),
            "sex": "F",
            "school": None,
            "school_class": "",
        },
    )
    barrier, outcomes = threading.Barrier(2), []

    def accept(actor):
        try:
            barrier.wait(timeout=5)
            with organisation_scope(organisation):  # as in a request: threads start unscoped
                request_accept(actor=actor, request=request)
            outcomes.append("accepted")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(user,)) for user in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", "refused"]
    assert Child.objects.filter(first_name="Lou").count() == 1
