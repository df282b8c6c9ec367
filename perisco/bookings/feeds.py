"""A family's bookings as an iCalendar feed (SPEC §5): a private address per guardian that a
phone's calendar subscribes to and fetches without signing in.

The address holds a random token (`secrets.token_urlsafe(32)`, 256 bits). It is looked up
by its SHA-256, never compared character by character, so the time of an answer tells
nothing about how close a guess was; a hit is checked again with `hmac.compare_digest`.
The token itself is kept so that "My account" can show the address again (whoever reads
the database reads the bookings anyway).

The feed says no more than a calendar needs: each confirmed booking's child (first name),
unit, facility and times, with a stable UID that does not reveal the booking's id.
"""

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from icalendar import Calendar, Event, vDuration

from perisco.accounts.models import User
from perisco.activities.rules import PARIS
from perisco.bookings.models import Booking, CalendarFeed
from perisco.bookings.states import State
from perisco.core.audit import audit_log
from perisco.core.models import Organisation
from perisco.families.models import Family, Guardian

# What the feed shows: the recent past (a week's absences, last month's days) and the
# year ahead; bounded, so its size does not grow with the years.
PAST_DAYS = 60
FUTURE_DAYS = 366
# How often calendars are asked to fetch it again (most decide for themselves).
REFRESH = timedelta(hours=6)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_renew(*, actor: User, guardian: Guardian) -> CalendarFeed:
    """Give the guardian a feed address, or a new one in place of the old (which then
    answers 404: a subscription shared by mistake stops working)."""
    guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.filter(guardian=guardian).first()
    renewed = feed is not None
    if feed is None:
        feed = CalendarFeed(organisation_id=guardian.organisation_id, guardian=guardian)
    feed.token, feed.token_hash, feed.created_at = token, _digest(token), timezone.now()
    feed.save()
    audit_log(
        organisation=guardian.organisation,
        actor=actor,
        action="calendar_feed.renewed" if renewed else "calendar_feed.created",
        target=guardian,
    )
    return feed


@transaction.atomic
def calendar_feed_revoke(*, actor: User, guardian: Guardian) -> bool:
    """Delete the guardian's feed address; False if there was none."""
    deleted, _by_model = CalendarFeed.objects.filter(guardian=guardian).delete()
    if deleted:
        audit_log(
            organisation=guardian.organisation,
            actor=actor,
            action="calendar_feed.revoked",
            target=guardian,
        )
    return bool(deleted)


def calendar_feed_get(guardian: Guardian) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(guardian=guardian).first()


def calendar_feed_for_token(organisation: Organisation, token: str) -> CalendarFeed | None:
    """The feed of this address in this organisation, with its guardian and family (one
    query); None for an unknown or revoked token, another organisation's, or a guardian
    who can no longer sign in."""
    if not token or len(token) > 64:
        return None
    feed = (
        CalendarFeed.objects.filter(
            organisation=organisation,
            token_hash=_digest(token),
            guardian__user__is_active=True,
        )
        .select_related("guardian__family")
        .first()
    )
    if feed is None or not hmac.compare_digest(feed.token.encode(), token.encode()):
        return None
    return feed


def feed_bookings(family: Family, start: date, end: date) -> list[Booking]:
    """The confirmed bookings of the family's children from `start` to `end`, whichever
    household made them (as on the family's calendar), with what the events show: one
    query, whatever their number."""
    return list(
        Booking.objects.filter(
            child__families=family, state=State.CONFIRMED, day__gte=start, day__lte=end
        )
        .select_related("child", "unit", "activity__facility")
        .only(
            "day",
            "updated_at",
            "child__first_name",
            "unit__name",
            "unit__start_time",
            "unit__end_time",
            "activity__facility__name",
        )
        .order_by("day", "unit__start_time", "child__first_name", "pk")
    )


def _uid(booking: Booking, organisation: Organisation) -> str:
    # Stable across fetches (a calendar updates the event instead of duplicating it), and
    # not the booking's id, which would tell how many bookings the town holds.
    digest = salted_hmac(
        "perisco.bookings.feeds.uid", str(booking.pk), algorithm="sha256"
    ).hexdigest()[:32]
    return f"{digest}@{organisation.slug}.perisco"


def feed_ics(*, feed: CalendarFeed, organisation: Organisation, now: datetime) -> bytes:
    """The iCalendar document of the feed: one event per confirmed booking from
    `PAST_DAYS` ago to `FUTURE_DAYS` ahead, at the unit's times in Europe/Paris (with its
    VTIMEZONE, so 11:30 stays 11:30 on both sides of a clock change), or all day for a
    unit without times."""
    today = timezone.localdate(now)
    start, end = today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)
    calendar = Calendar()
    calendar.add("prodid", "-//Périsco//Réservations//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", organisation.name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for booking in feed_bookings(feed.guardian.family, start, end):
        unit = booking.unit
        event = Event()
        event.add("uid", _uid(booking, organisation))
        event.add("dtstamp", booking.updated_at)
        event.add("last-modified", booking.updated_at)
        event.add("summary", f"{booking.child.first_name} — {unit.name}")
        event.add("location", booking.activity.facility.name)
        if unit.start_time is not None and unit.end_time is not None:
            event.add("dtstart", datetime.combine(booking.day, unit.start_time, PARIS))
            event.add("dtend", datetime.combine(booking.day, unit.end_time, PARIS))
        else:
            event.add("dtstart", booking.day)
            event.add("dtend", booking.day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    # The zone's rules over the years of the feed only (not 1970–2038): a small document.
    calendar.add_missing_timezones(
        first_date=date(start.year, 1, 1), last_date=date(end.year + 1, 1, 1)
    )
    return calendar.to_ical()
