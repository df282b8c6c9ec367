import pytest
from django.core import mail

from perisco.accounts.roles import Role
from perisco.activities.models import Confirmation
from perisco.activities.rules import Reason
from perisco.activities.tests.factories import UnitFactory
from perisco.bookings.models import Booking, BookingAction, BookingChange, PlaceCounter
from perisco.bookings.services import (
    MAX_CHANGES,
    Change,
    Op,
    Refusal,
    Result,
    UnknownTarget,
    bookings_apply,
    place_counters_rebuild,
)
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1, TUE_24, WED_2, enroll
from perisco.core.errors import DomainError
from perisco.families.models import FamilyCertification
from perisco.families.tests.factories import FamilyFactory


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    """Run an action as a request would, with what it leaves for after commit."""

    def run(**kwargs):
        kwargs.setdefault("now", NOW)
        with django_capture_on_commit_callbacks(execute=True):
            return bookings_apply(**kwargs)

    return run


def test_booking_a_day_confirms_it_holds_a_place_and_keeps_who_did_it(
    apply, parent, family, child, canteen
):
    report = apply(actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30)])

    assert [o.result for o in report.outcomes] == [Result.BOOKED]
    booking = Booking.objects.get()
    assert (booking.child, booking.family, booking.unit, booking.day, booking.state) == (
        child,
        family,
        canteen,
        MON_30,
        State.CONFIRMED,
    )
    assert PlaceCounter.objects.get(unit=canteen, day=MON_30).taken == 1
    change = BookingChange.objects.get()
    assert (change.actor, change.before_state, change.after_state, change.on_behalf) == (
        parent,
        "",
        State.CONFIRMED,
        False,
    )
    assert change.action == report.action
    assert report.action.family == family


def test_accepted_days_are_stored_and_each_refused_day_says_why(
    apply, parent, family, child, canteen
):
    report = apply(
        actor=parent,
        family=family,
        changes=[
            Change(child.pk, canteen.pk, TUE_24),  # deadline was Thursday 19 at 9:00
            Change(child.pk, canteen.pk, MON_30),
            Change(child.pk, canteen.pk, WED_2),  # the canteen is closed on Wednesdays
            Change(child.pk, canteen.pk, THU_3),
        ],
    )

    assert [(o.change.day, o.result, o.reason) for o in report.outcomes] == [
        (TUE_24, Result.REFUSED, Reason.PAST_DEADLINE),
        (MON_30, Result.BOOKED, ""),
        (WED_2, Result.REFUSED, Reason.NOT_AN_OPENING_DAY),
        (THU_3, Result.BOOKED, ""),
    ]
    assert set(Booking.objects.values_list("day", flat=True)) == {MON_30, THU_3}
    assert "jeudi 19 novembre à 9 h" in report.outcomes[0].sentence


def test_the_same_day_twice_in_one_action_is_booked_once(apply, parent, family, child, canteen):
    change = Change(child.pk, canteen.pk, MON_30)
    report = apply(actor=parent, family=family, changes=[change, change])

    assert [o.reason for o in report.outcomes] == ["", Refusal.DUPLICATE]
    assert Booking.objects.count() == 1


def test_a_full_day_puts_the_child_on_the_waiting_list_in_order_of_request(
    apply, parent, family, canteen, make_child, other_family
):
    first, second = make_child(family, canteen), make_child(family, canteen)
    third, fourth = make_child(other_family, canteen), make_child(other_family, canteen)
    apply(
        actor=parent,
        family=family,
        changes=[Change(first.pk, canteen.pk, MON_30), Change(second.pk, canteen.pk, MON_30)],
    )
    report = apply(
        actor=other_family.guardians.get().user,
        family=other_family,
        changes=[Change(third.pk, canteen.pk, MON_30), Change(fourth.pk, canteen.pk, MON_30)],
    )

    assert [(o.result, o.position) for o in report.outcomes] == [
        (Result.WAITING, 1),
        (Result.WAITING, 2),
    ]
    assert "liste d'attente (2e)" in report.outcomes[1].sentence
    assert Booking.objects.filter(state=State.CONFIRMED).count() == 2
    assert PlaceCounter.objects.get(unit=canteen, day=MON_30).taken == 2


def test_a_cancelled_place_goes_to_the_first_on_the_waiting_list_who_is_told(
    apply, parent, family, child, canteen, make_child, other_family, sms_outbox
):
    waiting_user = other_family.guardians.get().user
    # This guardian also accepts text messages; the first family's do not.
    other_family.guardians.update(consent_sms=True, mobile_phone="06 12 34 56 78")
    family.guardians.update(mobile_phone="06 00 00 00 00")
    filler = make_child(family, canteen)
    first_waiting = make_child(other_family, canteen, first_name="Hugo")
    second_waiting = make_child(other_family, canteen)
    apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, canteen.pk, MON_30), Change(filler.pk, canteen.pk, MON_30)],
    )
    apply(
        actor=waiting_user,
        family=other_family,
        changes=[Change(first_waiting.pk, canteen.pk, MON_30)],
    )
    apply(
        actor=waiting_user,
        family=other_family,
        changes=[Change(second_waiting.pk, canteen.pk, MON_30)],
    )
    mail.outbox.clear()

    report = apply(
        actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30, Op.CANCEL)]
    )

    assert report.outcomes[0].result == Result.CANCELLED
    states = dict(Booking.objects.filter(day=MON_30).values_list("child_id", "state"))
    assert states[first_waiting.pk] == State.CONFIRMED
    assert states[second_waiting.pk] == State.WAITING
    assert PlaceCounter.objects.get(unit=canteen, day=MON_30).taken == 2
    recipients = {tuple(m.to) for m in mail.outbox}
    assert (waiting_user.email,) in recipients
    promoted = next(m for m in mail.outbox if m.to == [waiting_user.email])
    assert "Hugo" in promoted.subject
    [(number, text)] = sms_outbox
    assert number == "06 12 34 56 78"
    assert text.startswith(f"{family.organisation.name} : Une place s'est libérée : Hugo")
    assert "lundi 30 novembre" in text


def test_a_family_leaves_a_waiting_list_and_its_place_in_line_is_given_up(
    apply, parent, family, canteen, make_child, other_family
):
    a, b, c = (make_child(family, canteen) for _ in range(3))
    apply(
        actor=parent, family=family, changes=[Change(x.pk, canteen.pk, MON_30) for x in (a, b, c)]
    )

    report = apply(
        actor=parent, family=family, changes=[Change(c.pk, canteen.pk, MON_30, Op.CANCEL)]
    )

    assert report.outcomes[0].result == Result.LEFT_WAITING_LIST
    assert Booking.objects.get(child=c).state == State.CANCELLED
    assert PlaceCounter.objects.get(unit=canteen, day=MON_30).taken == 2


def test_cancelling_after_the_deadline_is_refused_and_points_to_an_absence(
    apply, parent, family, child, canteen
):
    from datetime import datetime

    from perisco.activities.rules import PARIS

    apply(actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30)])
    # Wednesday 25 at 9:00 was the last moment to cancel Monday 30.
    report = apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, canteen.pk, MON_30, Op.CANCEL)],
        now=datetime(2026, 11, 25, 9, 0, tzinfo=PARIS),
    )

    outcome = report.outcomes[0]
    assert (outcome.result, outcome.reason) == (Result.REFUSED, Reason.PAST_DEADLINE)
    assert "absence" in outcome.sentence
    assert Booking.objects.get().state == State.CONFIRMED


def test_staff_may_pass_a_deadline_for_a_family_with_a_reason_that_is_kept(
    apply, manager, family, child, canteen
):
    report = apply(
        actor=manager,
        family=family,
        changes=[Change(child.pk, canteen.pk, TUE_24)],
        source=BookingAction.Source.STAFF,
        override_reason="Reprise du travail de la mère",
    )

    assert report.outcomes[0].result == Result.BOOKED
    change = BookingChange.objects.get()
    assert change.on_behalf and change.reason == "Reprise du travail de la mère"
    assert report.action.override_reason == "Reprise du travail de la mère"


def test_a_family_cannot_pass_a_deadline_whatever_it_sends(apply, parent, family, child, canteen):
    with pytest.raises(DomainError):
        apply(
            actor=parent,
            family=family,
            changes=[Change(child.pk, canteen.pk, TUE_24)],
            override_reason="please",
        )
    assert not Booking.objects.exists()


def test_a_child_of_another_family_is_unknown(
    apply, parent, family, canteen, make_child, other_family
):
    stranger = make_child(other_family, canteen)
    with pytest.raises(UnknownTarget):
        apply(actor=parent, family=family, changes=[Change(stranger.pk, canteen.pk, MON_30)])
    assert not Booking.objects.exists()


def test_a_unit_of_another_organisation_is_unknown(
    apply, parent, family, child, other_organisation
):
    from perisco.activities.tests.factories import PeriodFactory

    foreign = UnitFactory(
        activity=PeriodFactory(activity__organisation=other_organisation).activity
    )
    with pytest.raises(UnknownTarget):
        apply(actor=parent, family=family, changes=[Change(child.pk, foreign.pk, MON_30)])


def test_more_than_a_thousand_changes_are_refused_whole(apply, parent, family, child, canteen):
    changes = [Change(child.pk, canteen.pk, MON_30, Op.BOOK)] * (MAX_CHANGES + 1)
    with pytest.raises(DomainError, match="1001"):
        apply(actor=parent, family=family, changes=changes)
    assert not Booking.objects.exists()


def test_a_child_not_enrolled_cannot_be_booked(apply, parent, family, canteen, make_child):
    child = make_child(family)  # no enrollment
    report = apply(actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30)])
    assert report.outcomes[0].reason == Reason.NOT_ENROLLED
    assert report.action is None and not Booking.objects.exists()


def test_a_family_that_has_not_certified_its_file_is_told_what_to_do(
    apply, parent, family, child, canteen
):
    FamilyCertification.objects.all().delete()
    report = apply(actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30)])
    outcome = report.outcomes[0]
    assert outcome.reason == Refusal.BLOCKED and "2026-2027" in outcome.sentence


def test_both_units_of_an_exclusive_pair_in_one_action_keep_the_first(
    apply, parent, family, child, canteen
):
    evening = UnitFactory(activity=canteen.activity, name="Accueil soir", position=1)
    study = UnitFactory(activity=canteen.activity, name="Accueil soir + étude", position=2)
    evening.exclusive_with.add(study)
    report = apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, evening.pk, MON_30), Change(child.pk, study.pk, MON_30)],
    )
    assert [(o.result, o.reason) for o in report.outcomes] == [
        (Result.BOOKED, ""),
        (Result.REFUSED, Reason.EXCLUSIVE),
    ]
    assert (
        "« Accueil soir »" in report.outcomes[1].sentence
        or "“Accueil soir”" in report.outcomes[1].sentence
    )


def test_switching_between_exclusive_units_in_one_action_works(
    apply, parent, family, child, canteen
):
    evening = UnitFactory(activity=canteen.activity, name="Accueil soir", position=1)
    study = UnitFactory(activity=canteen.activity, name="Accueil soir + étude", position=2)
    evening.exclusive_with.add(study)
    apply(actor=parent, family=family, changes=[Change(child.pk, evening.pk, MON_30)])
    report = apply(
        actor=parent,
        family=family,
        changes=[
            Change(child.pk, study.pk, MON_30),
            Change(child.pk, evening.pk, MON_30, Op.CANCEL),
        ],
    )
    assert [o.result for o in report.outcomes] == [Result.BOOKED, Result.CANCELLED]


def test_a_unit_needed_by_another_cannot_be_cancelled_alone(apply, parent, family, child, canteen):
    after = UnitFactory(activity=canteen.activity, name="Accueil après TAP", position=1)
    after.requires.add(canteen)
    apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, after.pk, MON_30), Change(child.pk, canteen.pk, MON_30)],
    )
    assert Booking.objects.filter(state=State.CONFIRMED).count() == 2  # dependency first

    report = apply(
        actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30, Op.CANCEL)]
    )
    assert report.outcomes[0].reason == Refusal.REQUIRED_BY

    both = apply(
        actor=parent,
        family=family,
        changes=[
            Change(child.pk, canteen.pk, MON_30, Op.CANCEL),
            Change(child.pk, after.pk, MON_30, Op.CANCEL),
        ],
    )
    assert [o.result for o in both.outcomes] == [Result.CANCELLED, Result.CANCELLED]


def test_a_manual_activity_creates_requests_and_cancellation_requests(
    apply, parent, family, child, canteen, manager
):
    canteen.activity.confirmation = Confirmation.MANUAL
    canteen.activity.save()
    report = apply(actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30)])
    assert report.outcomes[0].result == Result.REQUESTED
    booking = Booking.objects.get()
    booking.state = State.CONFIRMED  # staff confirmed it (their service comes with the queue)
    booking.save()

    report = apply(
        actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30, Op.CANCEL)]
    )
    assert report.outcomes[0].result == Result.CANCEL_REQUESTED
    assert Booking.objects.get().state == State.CANCEL_REQUESTED
    assert PlaceCounter.objects.get().taken == 1  # the place is held until staff decide


def test_garde_alternee_each_household_books_its_days_and_sees_the_others(
    apply, parent, family, child, canteen, other_family
):
    other_parent = other_family.guardians.get().user
    child.families.add(other_family, through_defaults={"organisation": other_family.organisation})
    enroll(child, other_family, canteen)
    apply(actor=other_parent, family=other_family, changes=[Change(child.pk, canteen.pk, MON_30)])

    report = apply(
        actor=parent,
        family=family,
        changes=[
            Change(child.pk, canteen.pk, MON_30),
            Change(child.pk, canteen.pk, MON_30 + __import__("datetime").timedelta(days=1)),
        ],
    )
    assert [(o.result, o.reason) for o in report.outcomes] == [
        (Result.REFUSED, Refusal.OTHER_HOUSEHOLD),
        (Result.BOOKED, ""),
    ]
    cancel = apply(
        actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30, Op.CANCEL)]
    )
    assert cancel.outcomes[0].reason == Refusal.OTHER_HOUSEHOLD
    assert Booking.objects.get(day=MON_30).family == other_family
    assert Booking.objects.get(day=TUE_1).family == family


def test_one_email_per_action_whatever_the_number_of_days(apply, parent, family, child, canteen):
    mail.outbox.clear()
    report = apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, canteen.pk, d) for d in (MON_30, TUE_1, THU_3, TUE_24)],
    )
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "lundi 30 novembre" in body and "jeudi 3 décembre" in body
    assert "Trop tard" in body  # the refused day is reported too
    assert len(report.done) == 3


def test_the_email_drawn_after_the_action_says_what_the_family_was_shown(
    apply, parent, family, child, canteen
):
    """The e-mail is drawn by a task from the report kept on the action: every sentence,
    with its deadline, is the one the calendar showed."""
    mail.outbox.clear()
    report = apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, canteen.pk, d) for d in (TUE_24, MON_30, WED_2)],
    )
    body = mail.outbox[0].body
    sentences = [o.sentence for o in report.outcomes]
    assert any("19 novembre" in s for s in sentences)  # the deadline that passed
    for outcome in report.outcomes:
        assert f"{outcome.child_name}, {outcome.unit_name} : {outcome.sentence}" in body


def test_an_action_that_changes_nothing_sends_nothing_and_records_nothing(
    apply, parent, family, child, canteen
):
    mail.outbox.clear()
    report = apply(actor=parent, family=family, changes=[Change(child.pk, canteen.pk, TUE_24)])
    assert report.action is None
    assert mail.outbox == [] and not BookingAction.objects.exists()


def test_a_family_without_a_login_is_not_emailed(apply, manager, canteen, make_child, organisation):
    family = FamilyFactory(organisation=organisation)
    FamilyCertification.objects.create(organisation=organisation, family=family, school_year=2026)
    child = make_child(family, canteen)
    mail.outbox.clear()
    apply(
        actor=manager,
        family=family,
        changes=[Change(child.pk, canteen.pk, MON_30)],
        source=BookingAction.Source.STAFF,
    )
    assert mail.outbox == []


def test_counters_match_the_bookings_after_many_actions(
    apply, parent, family, canteen, make_child, other_family
):
    kids = [make_child(family, canteen) for _ in range(3)]
    apply(
        actor=parent,
        family=family,
        changes=[Change(k.pk, canteen.pk, d) for k in kids for d in (MON_30, TUE_1, THU_3)],
    )
    apply(
        actor=parent,
        family=family,
        changes=[Change(kids[0].pk, canteen.pk, TUE_1, Op.CANCEL)],
    )
    assert place_counters_rebuild() == 0
    PlaceCounter.objects.filter(day=TUE_1).update(taken=0)
    assert place_counters_rebuild() == 1
    assert PlaceCounter.objects.get(day=TUE_1).taken == 2


def test_an_agent_cannot_pass_deadlines(apply, organisation, family, child, canteen):
    from perisco.accounts.tests.factories import UserFactory

    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    with pytest.raises(DomainError):
        apply(
            actor=agent,
            family=family,
            changes=[Change(child.pk, canteen.pk, TUE_24)],
            source=BookingAction.Source.STAFF,
            override_reason="oubli",
        )


def test_the_waiting_count_follows_the_list_and_gives_each_newcomer_its_place(
    apply, parent, family, canteen, make_child, organisation, manager
):
    """Positions come from the day's counter, kept in step by every way onto or off the
    list: joining, leaving, a place given by promotion or by staff."""
    from perisco.bookings.services import waiting_list_offer, waiting_list_promote

    canteen.capacity = 1
    canteen.save()
    kids = [make_child(family, canteen) for _ in range(5)]

    def book(kid):
        report = apply(actor=parent, family=family, changes=[Change(kid.pk, canteen.pk, MON_30)])
        return report.outcomes[0].result, report.outcomes[0].position

    def counter():
        return PlaceCounter.objects.values_list("taken", "waiting").get(day=MON_30)

    assert book(kids[0]) == (Result.BOOKED, None)
    assert [book(k) for k in kids[1:4]] == [(Result.WAITING, n) for n in (1, 2, 3)]
    assert counter() == (1, 3)
    apply(actor=parent, family=family, changes=[Change(kids[2].pk, canteen.pk, MON_30, Op.CANCEL)])
    assert counter() == (1, 2)
    assert book(kids[4]) == (Result.WAITING, 3)  # behind kids 1 and 3
    apply(actor=parent, family=family, changes=[Change(kids[0].pk, canteen.pk, MON_30, Op.CANCEL)])
    waiting_list_promote(unit_id=canteen.pk, day=MON_30, group=0, now=NOW)
    assert Booking.objects.get(child=kids[1], state__in=[State.CONFIRMED]).day == MON_30
    assert counter() == (1, 2)
    canteen.capacity = 2
    canteen.save()
    waiting_list_offer(actor=manager, booking=Booking.objects.get(child=kids[4]), now=NOW)
    assert counter() == (2, 1)
    assert place_counters_rebuild() == 0
    PlaceCounter.objects.filter(day=MON_30).update(waiting=7)
    assert place_counters_rebuild() == 1
    assert counter() == (2, 1)
