"""Booking reminders: a guardian who asked is e-mailed, once per child and week, when next
week is not fully booked and its booking deadline is near.

The canteen of the fixtures opens Monday, Tuesday, Thursday and Friday and closes 3 working
days before at 9:00: for the week of 30 November the deadlines are Wednesday 25 (for
Monday 30), Thursday 26, Monday 30 and Tuesday 1 December, each at 9:00."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from perisco.accounts.tests.factories import UserFactory
from perisco.activities.rules import PARIS
from perisco.bookings.models import Booking, ReminderSent
from perisco.bookings.reminders import (
    ChildReminder,
    _send,
    booking_reminders_send,
    reminders_due,
)
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1, enroll
from perisco.families.models import FamilyCertification, Guardian
from perisco.families.tests.factories import GuardianFactory, guardian_user

FRI_4 = date(2026, 12, 4)
MON_7 = date(2026, 12, 7)
# 48 hours before Monday 30's deadline (Wednesday 25 November, 9:00).
IN_NOTICE = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


@pytest.fixture
def guardian(parent):
    guardian = Guardian.objects.get(user=parent)
    guardian.booking_reminders = True
    guardian.save()
    return guardian


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run the periodic command at `now`, e-mails delivered; returns the e-mails sent."""

    def run(now: datetime) -> list:
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_booking_reminders", now=now.isoformat())
        return mail.outbox[before:]

    return run


def book(parent, family, child, unit, *days, now=NOW):
    report = bookings_apply(
        actor=parent, family=family, changes=[Change(child.pk, unit.pk, d) for d in days], now=now
    )
    assert not report.refused


def test_a_guardian_who_asked_is_reminded_once_of_an_unbooked_week(guardian, parent, child, send):
    sent = send(IN_NOTICE)

    assert len(sent) == 1
    email = sent[0]
    assert email.to == [parent.email]
    assert "Louise" in email.body and "30 novembre" in email.body
    assert "mercredi 25 novembre à 9 h" in email.body
    row = ReminderSent.objects.get()
    assert (row.guardian, row.child, row.week) == (guardian, child, MON_30)
    assert row.deadline == datetime(2026, 11, 25, 9, 0, tzinfo=PARIS)
    # Run again (cron, every hour): nothing new to say.
    assert send(IN_NOTICE) == []
    assert send(IN_NOTICE + timedelta(hours=5)) == []
    assert ReminderSent.objects.count() == 1


def test_the_email_links_to_the_week_on_the_calendar_and_to_the_account_page(guardian, child, send):
    body = send(IN_NOTICE)[0].body
    assert "http://testserver/demo/famille/calendrier/?vue=semaine&jour=2026-11-30" in body
    assert "http://testserver/demo/compte/" in body


def test_nothing_is_sent_to_a_guardian_who_did_not_ask(parent, child, send):
    assert send(IN_NOTICE) == []
    assert not ReminderSent.objects.exists()


def test_nothing_is_sent_to_a_guardian_who_refuses_e_mails(guardian, child, send):
    guardian.consent_email = False
    guardian.save()
    assert send(IN_NOTICE) == []


def test_nothing_is_sent_to_a_guardian_whose_login_is_off(guardian, parent, child, send):
    parent.is_active = False
    parent.save()
    assert send(IN_NOTICE) == []


def test_nothing_is_sent_when_next_week_is_fully_booked(
    guardian, parent, family, child, canteen, send
):
    book(parent, family, child, canteen, MON_30, TUE_1, THU_3, FRI_4)
    assert send(IN_NOTICE) == []


def test_a_day_booked_by_the_other_household_counts_as_booked(
    guardian, parent, family, other_family, child, canteen, send
):
    child.families.add(other_family, through_defaults={"organisation": family.organisation})
    other_parent = Guardian.objects.get(family=other_family).user
    book(parent, family, child, canteen, MON_30, TUE_1)
    book(other_parent, other_family, child, canteen, THU_3, FRI_4)
    assert send(IN_NOTICE) == []


def test_nothing_is_sent_while_the_deadline_is_further_than_the_notice(guardian, child, send):
    # At 8:00 the first deadline (Wednesday 9:00) is 49 hours away: one hour too early.
    assert send(NOW) == []
    assert len(send(NOW + timedelta(hours=1))) == 1


def test_the_notice_is_the_organisations(guardian, organisation, child, send):
    organisation.reminder_notice_hours = 72
    organisation.save()
    assert len(send(NOW)) == 1


def test_an_organisation_may_send_no_reminders(guardian, organisation, child, send):
    organisation.reminder_notice_hours = 0
    organisation.save()
    assert send(IN_NOTICE) == []


def test_days_past_their_deadline_are_not_reminded(guardian, parent, family, child, canteen, send):
    book(parent, family, child, canteen, THU_3, FRI_4)
    # Thursday 26, 10:00: the deadlines of Monday 30 and Tuesday 1 have passed; the days
    # still open are booked.
    assert send(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)) == []


def test_a_week_partly_booked_names_the_days_left(guardian, parent, family, child, canteen, send):
    book(parent, family, child, canteen, MON_30, TUE_1)
    # Saturday 28, 10:00: Thursday 3's deadline (Monday 30, 9:00) is 47 hours away.
    (email,) = send(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS))
    assert "jeudi 3 décembre, vendredi 4 décembre" in email.body
    assert "lundi 30 novembre à 9 h" in email.body
    assert "lundi 30 novembre," not in email.body and "mardi 1" not in email.body


def test_with_a_typical_week_only_its_days_are_expected(
    guardian, parent, family, child, canteen, send
):
    enrollment = child.enrollments.get()
    enrollment.typical_week = {"0": [canteen.pk], "1": [canteen.pk]}  # Mondays, Tuesdays
    enrollment.save()
    book(parent, family, child, canteen, MON_30)
    # Thursday and Friday are not in the typical week: nothing to say of them.
    assert send(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)) == []
    # The Tuesday is: not booked, 48 hours before its deadline (Thursday 26, 9:00).
    Booking.objects.all().delete()
    book(parent, family, child, canteen, MON_30, now=IN_NOTICE)
    (email,) = send(datetime(2026, 11, 24, 9, 0, tzinfo=PARIS))
    assert "Cantine (mardi 1er décembre)" in email.body


def test_the_next_week_is_reminded_again(guardian, child, send):
    assert len(send(IN_NOTICE)) == 1
    # Monday 30, 9:00: next week is the week of 7 December; Monday 7's deadline is
    # Wednesday 2 December, 9:00, 48 hours away.
    (email,) = send(datetime(2026, 11, 30, 9, 0, tzinfo=PARIS))
    assert "7 décembre" in email.body and "mercredi 2 décembre à 9 h" in email.body
    assert list(ReminderSent.objects.order_by("week").values_list("week", flat=True)) == [
        MON_30,
        MON_7,
    ]


def test_the_sentence_says_the_child_the_week_and_the_deadline():
    reminder = ChildReminder(
        child_id=1, first_name="Léa", week=MON_7, deadline=datetime(2026, 12, 2, 9, tzinfo=PARIS)
    )
    with translation.override("en"):
        assert reminder.sentence == (
            "Léa has no booking in the week of 7 December; booking closes Wednesday "
            "2 December at 9 h."
        )
    partly = ChildReminder(
        child_id=1,
        first_name="Léa",
        week=MON_7,
        deadline=datetime(2026, 12, 7, 9, tzinfo=PARIS),
        unbooked=(("Cantine", (date(2026, 12, 10), date(2026, 12, 11))),),
    )
    with translation.override("en"):
        assert partly.sentence == (
            "Léa has days not booked yet in the week of 7 December: Cantine (Thursday "
            "10 December, Friday 11 December); booking closes Monday 7 December at 9 h."
        )


def test_the_sentence_in_french():
    reminder = ChildReminder(
        child_id=1, first_name="Léa", week=MON_7, deadline=datetime(2026, 12, 2, 9, tzinfo=PARIS)
    )
    assert reminder.sentence == (
        "Léa n'a aucune réservation la semaine du 7 décembre ; clôture mercredi 2 décembre à 9 h."
    )


def test_one_email_per_family_names_each_child(guardian, family, canteen, make_child, send):
    make_child(family, canteen, first_name="Louise", birth_date=date(2017, 1, 1))
    make_child(family, canteen, first_name="Paul", birth_date=date(2019, 1, 1))
    (email,) = send(IN_NOTICE)
    assert email.body.index("Louise") < email.body.index("Paul")
    assert ReminderSent.objects.count() == 2


def test_each_guardian_who_asked_gets_their_own_email(guardian, family, child, send):
    second = GuardianFactory(family=family, rank=2, email="second@example.test")
    second.user = UserFactory(organisation=family.organisation, role="guardian", email=second.email)
    second.booking_reminders = True
    second.save()
    sent = send(IN_NOTICE)
    assert sorted(e.to[0] for e in sent) == sorted([guardian.user.email, "second@example.test"])


def test_a_child_not_enrolled_or_in_a_closed_activity_is_not_reminded(
    guardian, family, canteen, make_child, send
):
    make_child(family, None, first_name="Sans")
    make_child(family, canteen, first_name="Fermé")
    canteen.activity.is_active = False
    canteen.activity.save()
    assert send(IN_NOTICE) == []


def test_another_organisation_is_not_mixed(
    guardian, child, other_organisation, send, django_capture_on_commit_callbacks
):
    from perisco.activities.tests.factories import PeriodFactory, UnitFactory
    from perisco.families.tests.factories import ChildFactory

    other_parent = guardian_user(other_organisation)
    other_guardian = Guardian.objects.get(user=other_parent)
    other_guardian.booking_reminders = True
    other_guardian.save()
    FamilyCertification.objects.create(
        organisation=other_organisation, family=other_guardian.family, school_year=2026
    )
    unit = UnitFactory(
        activity=PeriodFactory(
            activity__organisation=other_organisation, activity__name="Repas Val"
        ).activity
    )
    other_child = ChildFactory(
        organisation=other_organisation, families=[other_guardian.family], first_name="Valentin"
    )
    enroll(other_child, other_guardian.family, unit)

    sent = {e.to[0]: e.body for e in send(IN_NOTICE)}

    assert set(sent) == {guardian.user.email, other_parent.email}
    assert "Louise" in sent[guardian.user.email] and "Valentin" not in sent[guardian.user.email]
    assert "Valentin" in sent[other_parent.email] and "Louise" not in sent[other_parent.email]
    assert "/val/famille/calendrier/" in sent[other_parent.email]
    assert set(ReminderSent.objects.values_list("organisation_id", "child_id")) == {
        (child.organisation_id, child.pk),
        (other_organisation.pk, other_child.pk),
    }
    due = reminders_due(organisation=other_organisation, now=IN_NOTICE)
    assert [(r.family_id, [c.first_name for c in r.children]) for r in due] == [
        (other_guardian.family_id, ["Valentin"])
    ]


def test_a_run_that_lost_the_race_sends_nothing(guardian, organisation, child):
    (due,) = reminders_due(organisation=organisation, now=IN_NOTICE)
    # Another run reminded this guardian between our reading and our sending.
    ReminderSent.objects.create(
        organisation=organisation, guardian=guardian, child=child, week=MON_30, deadline=IN_NOTICE
    )
    assert _send(organisation, guardian, due.children, IN_NOTICE) is False
    assert ReminderSent.objects.count() == 1
    from perisco.messaging.models import OutgoingEmail

    assert not OutgoingEmail.objects.filter(template="booking_reminder").exists()


def _families(organisation, canteen, n: int) -> None:
    for _ in range(n):
        user = guardian_user(organisation)
        guardian = Guardian.objects.get(user=user)
        guardian.booking_reminders = True
        guardian.save()
        FamilyCertification.objects.create(
            organisation=organisation, family=guardian.family, school_year=2026
        )
        from perisco.families.tests.factories import ChildFactory

        for _child in range(2):
            kid = ChildFactory(organisation=organisation, families=[guardian.family])
            enroll(kid, guardian.family, canteen)
        # Half of the week booked, so the e-mail lists the days left.
        Booking.objects.create(
            organisation=organisation,
            child=kid,
            family=guardian.family,
            activity=canteen.activity,
            unit=canteen,
            day=MON_30,
            state=State.CONFIRMED,
        )


def _reads(organisation) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        run = booking_reminders_send(organisation=organisation, now=IN_NOTICE)
    selects = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    return len(selects), run.emails


def test_the_reads_do_not_grow_with_the_number_of_families(organisation, canteen):
    from perisco.core.tests.factories import OrganisationFactory

    _families(organisation, canteen, 3)
    few, emails = _reads(organisation)
    assert emails == 3
    bigger = OrganisationFactory(slug="grande")
    from perisco.activities.tests.factories import PeriodFactory, UnitFactory

    unit = UnitFactory(activity=PeriodFactory(activity__organisation=bigger).activity)
    _families(bigger, unit, 30)
    many, emails = _reads(bigger)
    assert emails == 30
    assert many == few


@time_machine.travel(IN_NOTICE, tick=False)
def test_the_command_acts_at_the_present_moment_without_now(
    guardian, child, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_booking_reminders")
    assert len(mail.outbox) == 1


def test_the_command_refuses_a_bad_now():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--now"):
        call_command("send_booking_reminders", now="lundi")


def test_a_family_that_has_not_certified_its_file_is_not_reminded(guardian, family, child, send):
    FamilyCertification.objects.filter(family=family).delete()
    assert send(IN_NOTICE) == []


def test_days_given_by_a_draw_not_yet_published_are_not_reminded(
    organisation, guardian, family, child, canteen, manager, send
):
    from perisco.activities.models import RequestWindow

    period = canteen.activity.periods.get()
    # A window on the canteen's period (odd, but it marks its days on request).
    RequestWindow.objects.create(
        organisation=organisation,
        period=period,
        unit=canteen,
        opens_at=datetime(2026, 9, 1, tzinfo=PARIS),
        closes_at=datetime(2026, 9, 2, tzinfo=PARIS),
    )
    assert send(IN_NOTICE) == []
