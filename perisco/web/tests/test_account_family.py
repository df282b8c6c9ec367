"""A guardian's "My account": booking reminders, and the calendar address for phones with
the feed it serves without signing in."""

import re
from datetime import time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.bookings.models import Booking, CalendarFeed
from perisco.bookings.states import State
from perisco.bookings.tests.conftest import MON_30, NOW, TUE_1
from perisco.conftest import sign_in
from perisco.core.models import AuditEntry
from perisco.families.models import Guardian
from perisco.families.tests.factories import guardian_user

ACCOUNT = "/demo/compte/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def parent(organisation):
    return guardian_user(organisation)


@pytest.fixture
def guardian(parent):
    return Guardian.objects.get(user=parent)


@pytest.fixture
def signed_in(client, parent):
    return sign_in(client, parent)


def reminders_form(page: str) -> str:
    return re.search(r'<form[^>]*action="/demo/compte/rappels/".*?</form>', page, re.S).group(0)


def feed_token(client) -> str:
    response = client.post("/demo/compte/calendrier/nouvelle-adresse/")
    assert response.status_code == 302
    return CalendarFeed.objects.get().token


# --- Reminders -----------------------------------------------------------------------


def test_reminders_are_off_until_the_guardian_ticks_the_box(signed_in, guardian):
    page = signed_in.get(ACCOUNT).text
    form = reminders_form(page)
    assert 'name="booking_reminders"' in form and "checked" not in form
    assert "48" in page

    response = signed_in.post("/demo/compte/rappels/", {"booking_reminders": "on"})

    assert response.status_code == 302 and response["Location"].startswith(ACCOUNT)
    guardian.refresh_from_db()
    assert guardian.booking_reminders is True
    assert "checked" in reminders_form(signed_in.get(ACCOUNT).text)
    assert AuditEntry.objects.filter(action="guardian.reminders_on").count() == 1


def test_an_unticked_box_turns_reminders_off(signed_in, guardian):
    guardian.booking_reminders = True
    guardian.save()
    signed_in.post("/demo/compte/rappels/", {})
    guardian.refresh_from_db()
    assert guardian.booking_reminders is False
    assert AuditEntry.objects.filter(action="guardian.reminders_off").exists()


def test_saving_the_same_choice_again_logs_nothing(signed_in, guardian):
    signed_in.post("/demo/compte/rappels/", {})
    assert not AuditEntry.objects.filter(action__startswith="guardian.reminders").exists()


def test_a_guardian_refusing_e_mails_is_told_reminders_cannot_reach_them(signed_in, guardian):
    guardian.consent_email = False
    guardian.save()
    assert 'class="notice notice--warning"' in signed_in.get(ACCOUNT).text


def test_staff_see_no_reminders_nor_calendar_and_cannot_post_them(client, organisation):
    sign_in(client, UserFactory(organisation=organisation, role=Role.MANAGER))
    page = client.get(ACCOUNT).text
    assert "reminders-title" not in page and "calendar-title" not in page
    assert client.post("/demo/compte/rappels/", {"booking_reminders": "on"}).status_code == 403
    assert client.post("/demo/compte/calendrier/nouvelle-adresse/").status_code == 403


def test_the_reminder_choice_is_a_plain_form_post(signed_in):
    assert signed_in.get("/demo/compte/rappels/").status_code == 405


# --- Calendar address ----------------------------------------------------------------


def test_the_guardian_creates_an_address_and_sees_it_with_how_to_subscribe(signed_in):
    page = signed_in.get(ACCOUNT).text
    assert 'action="/demo/compte/calendrier/nouvelle-adresse/"' in page
    assert 'id="feed-url"' not in page

    token = feed_token(signed_in)

    page = signed_in.get(ACCOUNT).text
    assert f'value="http://testserver/demo/calendrier/{token}.ics"' in page
    assert f'href="webcal://testserver/demo/calendrier/{token}.ics"' in page
    assert 'action="/demo/compte/calendrier/supprimer/"' in page


def test_the_feed_is_served_without_signing_in_as_a_private_calendar(
    client, signed_in, guardian, organisation
):
    from perisco.activities.tests.factories import PeriodFactory, UnitFactory
    from perisco.families.tests.factories import ChildFactory

    unit = UnitFactory(
        activity=PeriodFactory(activity__organisation=organisation).activity,
        start_time=time(11, 30),
        end_time=time(13, 30),
    )
    child = ChildFactory(organisation=organisation, families=[guardian.family], first_name="Léa")
    for day in (MON_30, TUE_1):
        Booking.objects.create(
            organisation=organisation,
            child=child,
            family=guardian.family,
            activity=unit.activity,
            unit=unit,
            day=day,
            state=State.CONFIRMED,
        )
    token = feed_token(signed_in)
    client.logout()

    response = client.get(f"/demo/calendrier/{token}.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert {d.strip() for d in response["Cache-Control"].split(",")} == {"private", "no-store"}
    calendar = Calendar.from_ical(response.content)
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == ["Léa — Repas"] * 2


def test_renewing_the_address_makes_the_old_one_404(client, signed_in):
    old = feed_token(signed_in)
    new = feed_token(signed_in)
    assert new != old
    client.logout()
    assert client.get(f"/demo/calendrier/{old}.ics").status_code == 404
    assert client.get(f"/demo/calendrier/{new}.ics").status_code == 200


def test_a_deleted_address_is_404(client, signed_in):
    token = feed_token(signed_in)
    response = signed_in.post("/demo/compte/calendrier/supprimer/")
    assert response.status_code == 302
    assert not CalendarFeed.objects.exists()
    assert 'id="feed-url"' not in signed_in.get(ACCOUNT).text
    client.logout()
    assert client.get(f"/demo/calendrier/{token}.ics").status_code == 404


def test_an_unknown_address_or_another_organisations_site_is_404(
    client, signed_in, other_organisation
):
    token = feed_token(signed_in)
    client.logout()
    assert client.get("/demo/calendrier/not-a-token.ics").status_code == 404
    assert client.get(f"/val/calendrier/{token}.ics").status_code == 404
    assert client.get(f"/plateforme/calendrier/{token}.ics").status_code == 404


def test_a_guardian_of_the_other_organisation_cannot_use_it_even_with_a_feed_of_their_own(
    client, organisation, other_organisation
):
    mine = guardian_user(organisation)
    theirs = guardian_user(other_organisation)
    sign_in(client, mine)
    token = feed_token(client)
    sign_in(client, theirs)
    client.post("/val/compte/calendrier/nouvelle-adresse/")
    other_token = CalendarFeed.objects.exclude(token=token).get().token
    client.logout()
    assert client.get(f"/val/calendrier/{token}.ics").status_code == 404
    assert client.get(f"/demo/calendrier/{other_token}.ics").status_code == 404
    assert client.get(f"/val/calendrier/{other_token}.ics").status_code == 200


def test_fetching_one_address_too_often_is_limited(client, signed_in, settings):
    settings.PERISCO_RATE_LIMITS = {
        **settings.PERISCO_RATE_LIMITS,
        "calendar_feed_token": (2, 3600),
    }
    token = feed_token(signed_in)
    client.logout()
    statuses = [client.get(f"/demo/calendrier/{token}.ics").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_guessing_addresses_is_limited_per_client(client, db, organisation, settings):
    settings.PERISCO_RATE_LIMITS = {
        **settings.PERISCO_RATE_LIMITS,
        "calendar_feed_miss_client": (2, 3600),
    }
    statuses = [client.get(f"/demo/calendrier/guess{n}.ics").status_code for n in range(3)]
    assert statuses == [404, 404, 429]


def test_the_feed_page_costs_the_same_queries_whatever_the_bookings(client, signed_in, guardian):
    from perisco.activities.tests.factories import PeriodFactory, UnitFactory
    from perisco.families.tests.factories import ChildFactory

    token = feed_token(signed_in)
    client.logout()
    url = f"/demo/calendrier/{token}.ics"
    with CaptureQueriesContext(connection) as none:
        client.get(url)
    unit = UnitFactory(
        activity=PeriodFactory(activity__organisation=guardian.organisation).activity
    )
    for name in ("Léa", "Tom", "Zoé"):
        child = ChildFactory(
            organisation=guardian.organisation, families=[guardian.family], first_name=name
        )
        for day in range(1, 29):
            Booking.objects.create(
                organisation=guardian.organisation,
                child=child,
                family=guardian.family,
                activity=unit.activity,
                unit=unit,
                day=MON_30.replace(month=12, day=day),
                state=State.CONFIRMED,
            )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 84
    assert len(many) == len(none)
