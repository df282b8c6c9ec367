"""Broadcasts: who a selection reaches, each family's own thread, e-mails by consent, once;
announcements between two dates."""

from datetime import date

import pytest

from perisco.activities.models import Enrollment, EnrollmentStatus
from perisco.activities.tests.factories import PeriodFactory
from perisco.billing.tests.factories import issued_invoice
from perisco.core.errors import DomainError
from perisco.core.tests.factories import SchoolFactory
from perisco.families.models import FamilyStatus
from perisco.families.tests.factories import ChildFactory, FamilyFactory
from perisco.inbox.audiences import Audience, audience_family_ids
from perisco.inbox.models import Broadcast, Thread
from perisco.inbox.selectors import announcements_current, broadcast_reach, family_threads
from perisco.inbox.services import (
    announcement_save,
    broadcast_email,
    broadcast_send,
    message_reply,
)
from perisco.messaging.models import OutgoingEmail

TODAY = date(2026, 11, 23)


@pytest.fixture
def town(organisation, family, other_family):
    """Two schools; `family` has a CM2 pupil at Jaurès enrolled at the canteen,
    `other_family` a CP pupil at Ferry and an unpaid invoice; a pending registration with a
    child at Jaurès."""
    jaures = SchoolFactory(organisation=organisation, name="École Jaurès")
    ferry = SchoolFactory(organisation=organisation, name="École Ferry")
    louise = ChildFactory(
        organisation=organisation, families=[family], school=jaures, school_class="CM2"
    )
    ChildFactory(
        organisation=organisation, families=[other_family], school=ferry, school_class="CP"
    )
    pending = FamilyFactory(organisation=organisation, status=FamilyStatus.PENDING)
    ChildFactory(organisation=organisation, families=[pending], school=jaures, school_class="CM2")
    period = PeriodFactory(activity__organisation=organisation, activity__name="Cantine")
    Enrollment.objects.create(
        organisation=organisation,
        child=louise,
        family=family,
        activity=period.activity,
        period=period,
        start=period.start,
        end=period.end,
        status=EnrollmentStatus.VALIDATED,
    )
    issued_invoice(other_family, "20.00")
    return {"jaures": jaures, "ferry": ferry, "activity": period.activity}


def reach(audience):
    return set(audience_family_ids(audience, today=TODAY))


def test_each_selection_reaches_the_active_families_it_names(town, family, other_family):
    activity = town["activity"]
    assert reach(Audience("all")) == {family.pk, other_family.pk}  # not the pending one
    assert reach(Audience("school", town["jaures"].pk)) == {family.pk}
    assert reach(Audience("class", school_class="cm2")) == {family.pk}
    assert reach(Audience("class", town["ferry"].pk, "CM2")) == set()
    assert reach(Audience("facility", activity.facility_id)) == {family.pk}
    assert reach(Audience("activity", activity.pk)) == {family.pk}
    assert reach(Audience("unpaid")) == {other_family.pk}
    assert reach(Audience("class", school_class=" ")) == set()
    assert reach(Audience("nonsense")) == set()


def test_an_enrollment_that_ended_no_longer_counts(town, family):
    activity = town["activity"]
    assert audience_family_ids(Audience("activity", activity.pk), today=date(2027, 7, 4)) == []


def test_another_organisations_school_reaches_nobody(town, other_organisation):
    elsewhere = SchoolFactory(organisation=other_organisation)
    ChildFactory(
        organisation=other_organisation,
        school=elsewhere,
        families=[FamilyFactory(organisation=other_organisation)],
    )
    # Requests run in their organisation's scope; the school's id alone reaches nobody here.
    from perisco.core.scoping import organisation_scope

    with organisation_scope(town["jaures"].organisation_id):
        assert audience_family_ids(Audience("school", elsewhere.pk), today=TODAY) == []


def test_a_broadcast_gives_each_family_its_own_thread_and_emails_by_consent(
    town, organisation, agent, family, other_family, guardian, django_capture_on_commit_callbacks
):
    other_family.guardians.update(consent_email=False)
    assert broadcast_reach([family.pk, other_family.pk]) == {
        "families": 2,
        "emailed": 1,
        "texted": 0,
    }

    with django_capture_on_commit_callbacks(execute=True):
        sent = broadcast_send(
            actor=agent,
            organisation=organisation,
            audience=Audience("all"),
            subject="Grève jeudi",
            body="<script>alert(1)</script> Pas de cantine jeudi.",
        )

    assert sent.families_count == 2
    threads = Thread.objects.filter(broadcast=sent)
    assert {t.family_id for t in threads} == {family.pk, other_family.pk}
    assert [t.subject for t in family_threads(family, "received")] == ["Grève jeudi"]
    [email] = OutgoingEmail.objects.filter(template="message_received")
    assert email.recipient == "jeanne@example.test"
    assert Broadcast.objects.get().emails_count == 1
    # Sending the e-mails again (a retried task) sends nothing more.
    assert broadcast_email(sent.pk) == 0
    assert OutgoingEmail.objects.filter(template="message_received").count() == 1

    # The family answers in its own thread, which only it and staff see.
    mine = threads.get(family=family)
    message_reply(actor=guardian, thread=mine, body="Merci", from_family=True)
    assert threads.get(family=other_family).messages.count() == 1


def test_a_broadcast_to_an_empty_selection_is_refused(town, organisation, agent):
    with pytest.raises(DomainError, match="Aucune famille ne correspond"):
        broadcast_send(
            actor=agent,
            organisation=organisation,
            audience=Audience("class", school_class="CE2"),
            subject="Sortie",
            body="Bonjour",
        )
    assert Broadcast.objects.count() == 0


def test_announcements_show_between_their_two_dates(organisation, agent):
    announcement_save(
        actor=agent,
        organisation=organisation,
        title="Fermeture",
        body="Le centre ferme le 24.",
        start=date(2026, 12, 1),
        end=date(2026, 12, 24),
    )
    assert announcements_current(date(2026, 11, 30)) == []
    assert [a.title for a in announcements_current(date(2026, 12, 1))] == ["Fermeture"]
    assert [a.title for a in announcements_current(date(2026, 12, 24))] == ["Fermeture"]
    assert announcements_current(date(2026, 12, 25)) == []
    with pytest.raises(DomainError):
        announcement_save(
            actor=agent,
            organisation=organisation,
            title="À l'envers",
            body="x",
            start=date(2026, 12, 2),
            end=date(2026, 12, 1),
        )


def test_a_broadcast_can_also_text_who_accepts_texts(
    town, organisation, agent, family, other_family, sms_outbox, django_capture_on_commit_callbacks
):
    family.guardians.update(consent_sms=True, mobile_phone="06 11 11 11 11")
    other_family.guardians.update(consent_sms=False, mobile_phone="06 22 22 22 22")
    assert broadcast_reach([family.pk, other_family.pk])["texted"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        sent = broadcast_send(
            actor=agent,
            organisation=organisation,
            audience=Audience("all"),
            subject="Grève jeudi",
            body="Pas de cantine.",
            by_sms=True,
        )
    thread = Thread.objects.get(broadcast=sent, family=family)
    [(number, text)] = sms_outbox
    assert number == "06 11 11 11 11"
    assert text.startswith("Ville de Démo : Grève jeudi. Lisez le message : http://")
    assert text.endswith(f"/demo/famille/messages/{thread.pk}/")
    assert Broadcast.objects.get().sms_count == 1
