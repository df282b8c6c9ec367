"""Holiday sessions given by a draw: the window, the requests, the run, the publication."""

from datetime import date, datetime

import pytest
from django.core import mail

from perisco.activities.models import RequestWindow
from perisco.activities.rules import PARIS, Reason
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.bookings.allocation import (
    allocation_publish,
    allocation_run,
    place_requests_set,
    request_window_create,
)
from perisco.bookings.models import Booking, BookingAction, PlaceRequest
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.states import State
from perisco.core.errors import DomainError

from .conftest import AFTER_WINDOW as AFTER
from .conftest import CLOSES, FEB_15, FEB_16, NOW, household

pytestmark = pytest.mark.django_db


def ask(user, family, window, children, *days, now=NOW):
    return place_requests_set(
        actor=user,
        family=family,
        window=window,
        wanted={(c.pk, d) for c in children for d in days or (FEB_15,)},
        now=now,
    )


def test_only_a_holiday_session_closing_before_its_first_day_opens_a_window(manager, session):
    period = session.activity.periods.get()
    with pytest.raises(DomainError, match="avant le premier jour"):
        request_window_create(
            actor=manager,
            period=period,
            unit=session,
            opens_at=NOW,
            closes_at=datetime(2027, 2, 14, 9, 0, tzinfo=PARIS),
            weights={},
        )
    canteen_period = PeriodFactory(activity__organisation=period.organisation)
    with pytest.raises(DomainError, match="session de vacances"):
        request_window_create(
            actor=manager,
            period=canteen_period,
            unit=UnitFactory(activity=canteen_period.activity),
            opens_at=NOW,
            closes_at=CLOSES,
            weights={},
        )


def test_while_the_window_is_open_the_calendar_does_not_book_the_sessions_days(
    organisation, window, session
):
    user, family, (lea,) = household(organisation, session, "Léa")

    report = bookings_apply(
        actor=user, family=family, changes=[Change(lea.pk, session.pk, FEB_15)], now=NOW
    )

    assert [o.reason for o in report.refused] == [Reason.ON_REQUEST]
    assert not Booking.objects.exists()


def test_a_family_asks_for_days_changes_them_and_cannot_ask_outside_the_window(
    organisation, window, session
):
    user, family, (lea, tom) = household(organisation, session, "Léa", "Tom")

    ask(user, family, window, [lea, tom], FEB_15, FEB_16)
    report = ask(user, family, window, [lea], FEB_16, date(2027, 2, 13))  # a Saturday

    assert set(PlaceRequest.objects.values_list("child__first_name", "day")) == {("Léa", FEB_16)}
    assert [(c.first_name, d) for c, d, _why in report.refused] == [("Léa", date(2027, 2, 13))]
    with pytest.raises(DomainError, match="ne sont pas ouvertes"):
        ask(user, family, window, [lea], FEB_15, now=AFTER)


def test_a_child_of_another_family_cannot_be_asked_for(organisation, window, session):
    user, family, _children = household(organisation, session, "Léa")
    _other, _family, (stranger,) = household(organisation, session, "Tom")

    with pytest.raises(DomainError):
        ask(user, family, window, [stranger])
    assert not PlaceRequest.objects.exists()


def test_the_run_waits_for_the_window_to_close_gives_the_same_answer_twice_then_publishes(
    organisation, manager, window, session, django_capture_on_commit_callbacks
):
    families = [household(organisation, session, name) for name in ("A", "B", "C", "D")]
    for user, family, children in families:
        ask(user, family, window, children, FEB_15, FEB_16)

    with pytest.raises(DomainError, match="encore ouvertes"):
        allocation_run(actor=manager, window=window, now=NOW)
    first = allocation_run(actor=manager, window=window, now=AFTER)
    answers = set(PlaceRequest.objects.values_list("child_id", "day", "result", "rank"))
    again = allocation_run(actor=manager, window=window, now=AFTER)
    assert (first.draw, first.granted) == (again.draw, again.granted)
    assert set(PlaceRequest.objects.values_list("child_id", "day", "result", "rank")) == answers
    window.refresh_from_db()
    assert window.seed == first.seed and window.draw["draw"] == first.draw

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = allocation_publish(actor=manager, window=window, now=AFTER)

    assert (report.granted, report.waiting, report.families) == (4, 4, 4)
    for day in (FEB_15, FEB_16):
        confirmed = Booking.objects.filter(day=day, state=State.CONFIRMED)
        waiting = Booking.objects.filter(day=day, state=State.WAITING).order_by("requested_at")
        assert confirmed.count() == 2
        drawn_waiting = [
            r.child_id
            for r in PlaceRequest.objects.filter(day=day, result="waiting").order_by("rank")
        ]
        assert [b.child_id for b in waiting] == drawn_waiting
    # One action per family: two families served both days, two waiting both days.
    assert BookingAction.objects.filter(source=BookingAction.Source.ALLOCATION).count() == 4
    assert len(mail.outbox) == 4
    assert any("Complet : sur liste d'attente (1er)." in m.body for m in mail.outbox)
    assert any("Réservé." in m.body for m in mail.outbox)
    with pytest.raises(DomainError, match="déjà publié"):
        allocation_run(actor=manager, window=window, now=AFTER)
    with pytest.raises(DomainError, match="déjà publié"):
        allocation_publish(actor=manager, window=window, now=AFTER)
    assert Booking.objects.count() == 8


def test_after_publication_the_places_left_are_booked_first_come(
    organisation, manager, window, session
):
    user, family, (lea,) = household(organisation, session, "Léa")
    ask(user, family, window, [lea], FEB_15)
    allocation_run(actor=manager, window=window, now=AFTER)
    allocation_publish(actor=manager, window=window, now=AFTER)
    late_user, late_family, (tom,) = household(organisation, session, "Tom")

    report = bookings_apply(
        actor=late_user, family=late_family, changes=[Change(tom.pk, session.pk, FEB_16)], now=AFTER
    )

    assert not report.refused


def test_residents_are_served_before_the_draw(organisation, manager, window, session):
    organisation.postal_code, organisation.city = "64000", "Pau"
    organisation.save()
    outsiders = [household(organisation, session, f"O{i}") for i in range(4)]
    resident = household(organisation, session, "Résident", postal_code="64000", city="PAU")
    for user, family, children in [*outsiders, resident]:
        ask(user, family, window, children)
    window.weights = {"resident": 4}
    window.save()

    allocation_run(actor=manager, window=window, now=AFTER)

    granted = PlaceRequest.objects.get(child=resident[2][0])
    assert (granted.result, granted.rank) == (PlaceRequest.Result.GRANTED, 1)
    window.refresh_from_db()
    assert window.draw["criteria"][str(resident[1].pk)] == ["resident"]


def test_only_staff_who_manage_bookings_run_or_publish(organisation, window, session):
    user, family, children = household(organisation, session, "Léa")
    ask(user, family, window, children)
    with pytest.raises(DomainError):
        allocation_run(actor=user, window=window, now=AFTER)
    assert RequestWindow.objects.get().drawn_at is None


def test_a_published_draw_confirms_places_even_where_staff_confirm_by_hand(
    organisation, manager, window, session
):
    from perisco.activities.models import Confirmation

    session.activity.confirmation = Confirmation.MANUAL
    session.activity.save()
    user, family, (lea,) = household(organisation, session, "Léa")
    ask(user, family, window, [lea])
    allocation_run(actor=manager, window=window, now=AFTER)

    allocation_publish(actor=manager, window=window, now=AFTER)

    assert Booking.objects.get().state == State.CONFIRMED


def test_while_a_draw_is_being_published_it_cannot_change(
    organisation, manager, window, session, django_capture_on_commit_callbacks
):
    from perisco.bookings.allocation import allocation_publish_ask, request_window_bonus_set

    user, family, (lea,) = household(organisation, session, "Léa")
    ask(user, family, window, [lea])
    allocation_run(actor=manager, window=window, now=AFTER)
    with django_capture_on_commit_callbacks(execute=False) as tasks:
        allocation_publish_ask(actor=manager, window=window, now=AFTER)
    with pytest.raises(DomainError, match="en cours de publication"):
        request_window_bonus_set(actor=manager, window=window, family=family, points=2, note="x")
    with pytest.raises(DomainError, match="en cours de publication"):
        allocation_run(actor=manager, window=window, now=AFTER)

    for run in tasks:  # the background task
        run()

    assert Booking.objects.get().state == State.CONFIRMED
    window.refresh_from_db()
    assert window.draw["published"] == {"granted": 1, "waiting": 0, "refused": 0, "emailed": 1}


def test_a_family_that_cannot_book_yet_cannot_ask_either(organisation, window, session):
    from perisco.families.models import FamilyCertification

    user, family, (lea,) = household(organisation, session, "Léa")
    FamilyCertification.objects.filter(family=family).delete()

    with pytest.raises(DomainError, match="certifiez"):
        ask(user, family, window, [lea])
    assert not PlaceRequest.objects.exists()


def test_the_other_household_of_a_child_cannot_ask_for_the_same_day_again(
    organisation, window, session
):
    user, family, (lea,) = household(organisation, session, "Léa")
    other_user, other_family, _none = household(organisation, session)
    from perisco.activities.models import Enrollment
    from perisco.families.models import FamilyChild

    FamilyChild.objects.create(organisation=organisation, family=other_family, child=lea)
    Enrollment.objects.filter(child=lea).update(family=other_family)
    ask(user, family, window, [lea], FEB_15)

    report = ask(other_user, other_family, window, [lea], FEB_15, FEB_16)

    assert [(d, why) for _c, d, why in report.refused] == [
        (FEB_15, "déjà demandé par l'autre foyer")
    ]
    assert PlaceRequest.objects.filter(child=lea).count() == 2


def test_families_are_told_what_was_booked_not_only_what_the_draw_said(
    organisation, manager, window, session, django_capture_on_commit_callbacks
):
    from perisco.activities.models import Enrollment

    households = [household(organisation, session, name) for name in ("A", "B", "C")]
    for user, family, children in households:
        ask(user, family, window, children, FEB_15)
    allocation_run(actor=manager, window=window, now=AFTER)
    winner = PlaceRequest.objects.filter(result="granted").order_by("rank").first()
    Enrollment.objects.filter(child=winner.child).delete()  # unenrolled since the draw

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = allocation_publish(actor=manager, window=window, now=AFTER)

    assert (report.granted, report.waiting, report.refused) == (2, 0, 1)
    assert not Booking.objects.filter(child=winner.child).exists()
    told = next(m for m in mail.outbox if m.to[0] == winner.family.guardians.get().email)
    assert "inscription" in told.body and "Réservé" not in told.body
    window.refresh_from_db()
    assert window.draw["published"]["refused"] == 1


def test_a_publication_that_fails_hands_the_draw_back_with_the_reason(
    organisation, manager, window, session, monkeypatch, django_capture_on_commit_callbacks
):
    from perisco.bookings import allocation
    from perisco.bookings.allocation import allocation_publish_ask

    user, family, (lea,) = household(organisation, session, "Léa")
    ask(user, family, window, [lea])
    allocation_run(actor=manager, window=window, now=AFTER)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(allocation, "_tell_families", lambda *a: broken())
    with django_capture_on_commit_callbacks(execute=True):
        allocation_publish_ask(actor=manager, window=window, now=AFTER)

    window.refresh_from_db()
    assert window.publish_asked_at is None and window.published_at is None
    assert window.draw["publish_error"]
    assert not Booking.objects.exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        allocation_publish_ask(actor=manager, window=window, now=AFTER)
    window.refresh_from_db()
    assert window.published_at is not None and "publish_error" not in window.draw
