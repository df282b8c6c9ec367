"""The family's bookings as an iCalendar feed: tokens, events, times across clock changes."""

from datetime import UTC, date, datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from perisco.bookings.feeds import (
    calendar_feed_for_token,
    calendar_feed_renew,
    calendar_feed_revoke,
    feed_ics,
)
from perisco.bookings.models import Booking, CalendarFeed
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1
from perisco.core.models import AuditEntry
from perisco.families.models import Guardian


@pytest.fixture
def guardian(parent):
    return Guardian.objects.get(user=parent)


@pytest.fixture
def feed(parent, guardian):
    return calendar_feed_renew(actor=parent, guardian=guardian)


def book(child, unit, day, state=State.CONFIRMED, family=None):
    return Booking.objects.create(
        organisation=unit.organisation,
        child=child,
        family=family or child.families.get(),
        activity=unit.activity,
        unit=unit,
        day=day,
        state=state,
        refusal_reason="Complet" if state == State.REFUSED else "",
    )


def events(feed, organisation, now=NOW) -> list:
    calendar = Calendar.from_ical(feed_ics(feed=feed, organisation=organisation, now=now))
    return list(calendar.walk("VEVENT"))


def test_a_new_address_is_long_random_and_found_by_its_token_only(feed, organisation, guardian):
    assert len(feed.token) >= 43 and feed.token not in feed.token_hash
    assert calendar_feed_for_token(organisation, feed.token) == feed
    assert calendar_feed_for_token(organisation, feed.token[:-1] + "x") is None
    assert calendar_feed_for_token(organisation, "") is None
    assert calendar_feed_for_token(organisation, "a" * 500) is None
    # The activity log names the guardian, never the token.
    entry = AuditEntry.objects.get(action="calendar_feed.created")
    assert entry.target_label == str(guardian) and feed.token not in str(entry.data)


def test_renewing_replaces_the_token_and_revoking_deletes_it(feed, parent, guardian, organisation):
    old = feed.token
    renewed = calendar_feed_renew(actor=parent, guardian=guardian)
    assert renewed.pk == feed.pk and renewed.token != old
    assert calendar_feed_for_token(organisation, old) is None
    assert calendar_feed_for_token(organisation, renewed.token) == renewed
    assert calendar_feed_revoke(actor=parent, guardian=guardian) is True
    assert calendar_feed_for_token(organisation, renewed.token) is None
    assert calendar_feed_revoke(actor=parent, guardian=guardian) is False
    assert list(
        AuditEntry.objects.filter(target_id=str(guardian.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["calendar_feed.created", "calendar_feed.renewed", "calendar_feed.revoked"]


def test_another_organisations_token_or_a_deactivated_login_finds_nothing(
    feed, parent, organisation, other_organisation
):
    assert calendar_feed_for_token(other_organisation, feed.token) is None
    parent.is_active = False
    parent.save(update_fields=["is_active"])
    assert calendar_feed_for_token(organisation, feed.token) is None


def test_the_feed_lists_confirmed_bookings_only_with_names_units_and_facility(
    feed, organisation, family, canteen, make_child
):
    louise = make_child(family, canteen, first_name="Louise", last_name="SECRET")
    canteen.start_time, canteen.end_time = time(11, 30), time(13, 30)
    canteen.save()
    canteen.activity.facility.name = "École Jules Ferry – périscolaire"
    canteen.activity.facility.save()
    confirmed = book(louise, canteen, MON_30)
    for day, state in (
        (TUE_1, State.CANCELLED),
        (THU_3, State.WAITING),
        (date(2026, 12, 4), State.REQUESTED),
        (date(2026, 12, 7), State.REFUSED),
        (date(2026, 12, 8), State.CANCEL_REQUESTED),
    ):
        book(louise, canteen, day, state)

    found = events(feed, organisation)

    assert len(found) == 1
    event = found[0]
    assert str(event["summary"]) == "Louise — Repas"
    assert str(event["location"]) == "École Jules Ferry – périscolaire"
    assert event.decoded("dtstart") == datetime(
        2026, 11, 30, 11, 30, tzinfo=event.decoded("dtstart").tzinfo
    )
    local, _at, domain = str(event["uid"]).partition("@")
    assert domain == "demo.perisco" and len(local) == 32 and local != str(confirmed.pk)
    ics = feed_ics(feed=feed, organisation=organisation, now=NOW).decode()
    # Nothing but the first name, the unit, the facility and the times.
    assert "SECRET" not in ics and family.name not in ics and canteen.activity.name not in ics


def test_the_uid_of_a_booking_is_the_same_at_every_fetch(
    feed, organisation, family, canteen, make_child
):
    child = make_child(family, canteen)
    book(child, canteen, MON_30)
    book(child, canteen, TUE_1)
    first = [str(e["uid"]) for e in events(feed, organisation)]
    again = [str(e["uid"]) for e in events(feed, organisation)]
    assert first == again and len(set(first)) == 2


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2026, 10, 23), 9),  # summer time (UTC+2), the Friday before 25 October
        (date(2026, 10, 26), 10),  # winter time (UTC+1), the Monday after
        (date(2027, 3, 26), 10),  # winter time, the Friday before 28 March 2027
        (date(2027, 3, 29), 9),  # summer time, the Monday after
    ],
)
def test_times_stay_at_half_past_eleven_across_the_clock_changes(
    feed, organisation, family, canteen, make_child, day, utc_hour
):
    canteen.start_time, canteen.end_time = time(11, 30), time(13, 30)
    canteen.save()
    book(make_child(family, canteen), canteen, day)

    ics = feed_ics(feed=feed, organisation=organisation, now=NOW)
    (event,) = list(Calendar.from_ical(ics).walk("VEVENT"))

    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start.astimezone(UTC) == datetime(day.year, day.month, day.day, utc_hour, 30, tzinfo=UTC)
    assert (end - start).total_seconds() == 2 * 3600
    assert b"BEGIN:VTIMEZONE" in ics and b"TZID:Europe/Paris" in ics
    assert f"DTSTART;TZID=Europe/Paris:{day:%Y%m%d}T113000".encode() in ics


def test_a_unit_without_times_is_an_all_day_event(feed, organisation, family, canteen, make_child):
    book(make_child(family, canteen), canteen, MON_30)
    (event,) = events(feed, organisation)
    assert event.decoded("dtstart") == MON_30
    assert event.decoded("dtend") == date(2026, 12, 1)


def test_the_feed_covers_two_months_back_and_a_year_ahead(
    feed, organisation, family, canteen, make_child
):
    child = make_child(family, canteen)
    for day in (date(2026, 9, 20), date(2026, 9, 25), date(2027, 11, 23), date(2027, 11, 26)):
        book(child, canteen, day)
    assert sorted(e.decoded("dtstart") for e in events(feed, organisation)) == [
        date(2026, 9, 25),
        date(2027, 11, 23),
    ]


def test_a_child_of_two_households_shows_the_days_either_booked(
    feed, organisation, family, other_family, canteen, make_child
):
    shared = make_child(family, canteen, first_name="Jade")
    shared.families.add(other_family, through_defaults={"organisation": organisation})
    book(shared, canteen, MON_30, family=family)
    book(shared, canteen, TUE_1, family=other_family)
    other_childs = make_child(other_family, canteen, first_name="Étranger")
    book(other_childs, canteen, THU_3, family=other_family)
    summaries = sorted(str(e["summary"]) for e in events(feed, organisation))
    assert summaries == ["Jade — Repas", "Jade — Repas"]


def test_the_feed_costs_the_same_queries_for_one_booking_or_forty(
    feed, organisation, family, canteen, make_child
):
    child = make_child(family, canteen)
    book(child, canteen, MON_30)
    feed = CalendarFeed.objects.select_related("guardian__family").get(pk=feed.pk)
    with CaptureQueriesContext(connection) as one:
        feed_ics(feed=feed, organisation=organisation, now=NOW)
    for _n in range(3):
        other = make_child(family, canteen)
        for day in (MON_30, TUE_1, THU_3, date(2026, 12, 4)):
            book(other, canteen, day)
    for day in range(7, 31):
        if date(2026, 12, day).weekday() < 5:
            book(child, canteen, date(2026, 12, day))
    assert len(events(feed, organisation)) > 30
    with CaptureQueriesContext(connection) as many:
        feed_ics(feed=feed, organisation=organisation, now=NOW)
    assert len(many) == len(one) == 1


def test_the_feeds_token_is_not_written_to_the_request_log(client, feed, organisation, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="perisco.request")
    response = client.get(f"/{organisation.slug}/calendrier/{feed.token}.ics")

    assert response.status_code == 200
    (record,) = [r for r in caplog.records if r.name == "perisco.request"]
    assert feed.token not in record.getMessage() and feed.token not in record.path
    assert record.path == f"/{organisation.slug}/calendrier/{feed.token[:4]}….ics"
