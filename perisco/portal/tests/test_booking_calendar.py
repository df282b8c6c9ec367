"""The family books and cancels on its calendar: a plain form, one action per save."""

import re
from datetime import date, datetime
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.activities.rules import PARIS
from perisco.activities.tests.factories import UnitFactory
from perisco.bookings.models import Absence, Booking, BookingAction
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.states import Outcome, State
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1, TUE_24, enroll
from perisco.families.models import Document, FamilyCertification, FamilyChild, Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user

URL = "/demo/famille/calendrier/"
FRI_4 = date(2026, 12, 4)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def family(family):
    FamilyCertification.objects.create(
        organisation=family.organisation, family=family, school_year=2026
    )
    return family


@pytest.fixture
def canteen(organisation):
    from perisco.activities.tests.factories import PeriodFactory

    period = PeriodFactory(activity__organisation=organisation, activity__name="Cantine")
    return UnitFactory(activity=period.activity, name="Repas", capacity=2)


@pytest.fixture
def louise(organisation, family, canteen):
    child = ChildFactory(organisation=organisation, first_name="Louise", families=[family])
    enroll(child, family, canteen)
    return child


def cell(child, unit, day):
    return f"{child.pk}:{unit.pk}:{day.isoformat()}"


def page(client, query="?mois=2026-12"):
    response = client.get(URL + query)
    response.html = unescape(response.text)
    return response


def checked_before(html):
    return re.search(r'name="avant" value="([^"]*)"', html).group(1)


def save(client, ticked, before, query=None, **extra):
    data = {"c": ticked, "avant": before, "mois": "2026-12", **extra}
    return client.post(URL, data, follow=True)


def test_ticking_days_books_them_and_says_so(client, parent, family, louise, canteen):
    before = checked_before(page(client).text)
    assert before == ""
    response = save(client, [cell(louise, canteen, FRI_4), cell(louise, canteen, TUE_1)], before)

    assert response.redirect_chain[-1][0].endswith("?mois=2026-12")
    assert set(Booking.objects.values_list("day", "state")) == {
        (FRI_4, State.CONFIRMED),
        (TUE_1, State.CONFIRMED),
    }
    assert "2 jours réservés" in response.text
    action = BookingAction.objects.get()
    assert action.family == family
    # The page now has them ticked, each saying until when it can change.
    assert f'value="{cell(louise, canteen, TUE_1)}" checked' in response.text
    html = unescape(response.text)
    assert (
        "mardi 1er décembre, Repas : réservé – modifiable jusqu'au jeudi 26 novembre à 9 h" in html
    )


def test_only_the_toggled_days_change(client, parent, family, louise, canteen):
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(louise.pk, canteen.pk, FRI_4), Change(louise.pk, canteen.pk, TUE_1)],
        now=NOW,
    )
    before = checked_before(page(client).text)
    assert set(before.split()) == {cell(louise, canteen, FRI_4), cell(louise, canteen, TUE_1)}
    # Untick Monday, tick Thursday; Tuesday stays ticked.
    save(client, [cell(louise, canteen, TUE_1), cell(louise, canteen, THU_3)], before)

    live = set(Booking.objects.filter(state=State.CONFIRMED).values_list("day", flat=True))
    assert live == {TUE_1, THU_3}
    assert Booking.objects.get(day=FRI_4).state == State.CANCELLED


def test_a_day_booked_meanwhile_elsewhere_is_not_cancelled(client, parent, family, louise, canteen):
    """The form drawn before a booking made in another tab: the day was not in `avant`,
    so not ticking it does not cancel it."""
    before = checked_before(page(client).text)
    bookings_apply(
        actor=parent, family=family, changes=[Change(louise.pk, canteen.pk, FRI_4)], now=NOW
    )
    save(client, [cell(louise, canteen, THU_3)], before)
    assert set(Booking.objects.filter(state=State.CONFIRMED).values_list("day", flat=True)) == {
        FRI_4,
        THU_3,
    }


def test_another_familys_child_is_a_404_and_nothing_is_stored(
    client, parent, organisation, louise, canteen
):
    stranger_user = guardian_user(organisation)
    stranger = ChildFactory(
        organisation=organisation, families=[Guardian.objects.get(user=stranger_user).family]
    )
    response = client.post(
        URL,
        {"c": [cell(louise, canteen, MON_30), cell(stranger, canteen, MON_30)], "avant": ""},
    )
    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_a_bad_date_is_a_clear_error_and_nothing_is_stored(client, parent, louise, canteen):
    response = client.post(
        URL,
        {"c": [cell(louise, canteen, MON_30), f"{louise.pk}:{canteen.pk}:2026-13-45"], "avant": ""},
        follow=True,
    )
    assert "Un jour du calendrier n'a pas pu être lu" in unescape(response.text)
    assert not Booking.objects.exists()


def test_a_day_past_its_deadline_posted_anyway_is_refused_with_its_reason(
    client, parent, louise, canteen
):
    response = save(client, [cell(louise, canteen, TUE_24), cell(louise, canteen, MON_30)], "")
    assert list(Booking.objects.values_list("day", flat=True)) == [MON_30]
    assert "1 jour réservé, 1 refusé" in response.text
    assert "Louise, Repas, mardi 24 novembre : Trop tard" in unescape(response.text)


def test_more_than_a_thousand_changes_are_refused_whole(client, parent, louise, canteen):
    ticked = [f"{louise.pk}:{canteen.pk}:{date.fromordinal(738000 + n)}" for n in range(1001)]
    response = client.post(URL, {"c": " ".join(ticked), "avant": ""}, follow=True)
    assert "1001" in response.text.replace("\u202f", "").replace(" ", "")
    assert not Booking.objects.exists()


def test_htmx_gets_the_calendar_back_with_the_report(client, parent, louise, canteen):
    response = client.post(
        URL,
        {"c": [cell(louise, canteen, FRI_4)], "avant": "", "mois": "2026-12"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<form")
    assert "1 jour réservé" in response.text
    assert Booking.objects.get().day == FRI_4


def test_every_thursday_of_the_month_for_all_children_is_one_action(
    client, parent, organisation, family, louise, canteen
):
    tao = ChildFactory(organisation=organisation, first_name="Tao", families=[family])
    enroll(tao, family, canteen)
    response = client.post(
        "/demo/famille/calendrier/jours/",
        {"enfant": louise.pk, "tous": "1", "unite": canteen.pk, "jours": ["3"], "mois": "2026-12"},
        follow=True,
    )
    thursdays = {date(2026, 12, d) for d in (3, 10, 17)}  # the 24th and 31st: holidays
    for child in (louise, tao):
        assert (
            set(
                Booking.objects.filter(child=child, state=State.CONFIRMED).values_list(
                    "day", flat=True
                )
            )
            == thursdays
        )
    assert BookingAction.objects.count() == 1
    assert "6 jours réservés" in response.text


def test_the_typical_week_is_applied_to_the_month(client, parent, family, louise, canteen):
    enrollment = louise.enrollments.get()
    enrollment.typical_week = {"0": [canteen.pk], "4": [canteen.pk]}
    enrollment.save()
    client.post("/demo/famille/calendrier/semaine-type/", {"enfant": louise.pk, "mois": "2026-12"})
    days = set(Booking.objects.values_list("day", flat=True))
    assert days == {date(2026, 12, d) for d in (4, 7, 11, 14, 18)}
    assert BookingAction.objects.count() == 1


def test_the_week_view_shows_one_week_from_monday(client, parent, louise, canteen):
    html = page(client, "?vue=semaine&jour=2026-12-03").text
    assert "semaine du lundi 30 novembre au dimanche 6 décembre" in html
    assert "?vue=semaine&amp;jour=2026-12-07" in html
    assert "?vue=semaine&amp;jour=2026-11-23" in html
    assert f'value="{cell(louise, canteen, FRI_4)}"' in html
    assert f'value="{cell(louise, canteen, date(2026, 12, 7))}"' not in html


def test_the_week_view_on_a_saturday_shows_the_week_to_come(
    client, parent, louise, canteen, frozen
):
    frozen.move_to(datetime(2026, 11, 28, 10, 0, tzinfo=PARIS))  # Saturday
    client.force_login(parent)  # the session of Monday has expired
    html = page(client, "?vue=semaine").text
    assert "semaine du lundi 30 novembre au dimanche 6 décembre" in html
    assert f'value="{cell(louise, canteen, FRI_4)}"' in html
    # The month view's link to the week view leads there too.
    assert "?vue=semaine&amp;jour=2026-11-30" in page(client, "").text


def test_the_legend_says_every_state_in_words(client, parent, louise, canteen):
    html = page(client).html
    start = html.index('class="legend"')
    legend = html[start : html.index("</details>", start)]
    for word in (
        "Réservé",
        "Liste d’attente",
        "Refusé",
        "Annulé",
        "Présent",
        "Absent, excusé",
        "Absent, facturé",
        "Fermé",
        "Jour férié",
        "Vacances scolaires",
        "Délai dépassé",
    ):
        assert word.lower() in legend.lower().replace("'", "’"), word


@pytest.mark.parametrize("children", [1, 3])
def test_the_page_takes_the_same_few_queries_for_one_or_three_children(
    client, parent, organisation, family, canteen, children
):
    for n in range(children):
        child = ChildFactory(organisation=organisation, first_name=f"E{n}", families=[family])
        enroll(child, family, canteen)
        bookings_apply(
            actor=parent, family=family, changes=[Change(child.pk, canteen.pk, MON_30)], now=NOW
        )
    with CaptureQueriesContext(connection) as queries:
        response = page(client)
    assert response.status_code == 200
    assert len(queries) <= 15, "\n".join(q["sql"][:100] for q in queries.captured_queries)
    pytest.queries = getattr(pytest, "queries", {}) | {children: len(queries)}
    if len(pytest.queries) == 2:
        assert pytest.queries[1] == pytest.queries[3]


def test_an_absence_before_the_deadline_cancels_after_it_stays_billed(
    client, parent, family, louise, canteen, frozen
):
    thu_26 = date(2026, 11, 26)
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(louise.pk, canteen.pk, thu_26), Change(louise.pk, canteen.pk, TUE_1)],
        now=NOW,
    )
    frozen.move_to(NOW.replace(hour=10))
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/demo/famille/calendrier/absence/{louise.pk}/",
        {
            "first": "2026-11-26",
            "last": "2026-12-01",
            "reason": "illness",
            "file": SimpleUploadedFile("certificat.pdf", b"%PDF-1.4 certificat", "application/pdf"),
        },
        follow=True,
    )
    # Thursday 26 is past the cancellation deadline (seed 000's 3 working days at 9:00).
    assert Booking.objects.get(day=TUE_1).state == State.CANCELLED
    billed = Booking.objects.get(day=date(2026, 11, 26))
    assert (billed.state, billed.outcome) == (State.CONFIRMED, Outcome.ABSENT_BILLED)
    absence = Absence.objects.get()
    assert absence.document.kind == "absence"
    assert Document.objects.get().child == louise
    assert "mardi 1er décembre (Repas)" in response.text
    assert "jeudi 26 novembre (Repas)" in response.text


def test_an_absence_for_other_needs_a_note(client, parent, louise, canteen):
    response = client.post(
        f"/demo/famille/calendrier/absence/{louise.pk}/",
        {"first": "2026-11-30", "reason": "other"},
    )
    assert response.status_code == 200
    assert not Absence.objects.exists()


def test_my_requests_lists_the_booking_actions(client, parent, family, louise, canteen):
    save(client, [cell(louise, canteen, TUE_1), cell(louise, canteen, TUE_24)], "")
    html = unescape(client.get("/demo/famille/demandes/").text)
    assert "Réservations : 1 jour réservé, 1 refusé" in html
    assert "par Jeanne" in html or "par " in html
    only = unescape(client.get("/demo/famille/demandes/?type=reservations").text)
    assert "Réservations : 1 jour réservé, 1 refusé" in only
    enrollments_only = unescape(client.get("/demo/famille/demandes/?type=inscription").text)
    assert "Réservations :" not in enrollments_only


def test_the_other_households_day_shows_and_cannot_be_changed(
    client, parent, organisation, family, louise, canteen
):
    other_user = guardian_user(organisation)
    other = Guardian.objects.get(user=other_user).family
    FamilyCertification.objects.create(organisation=organisation, family=other, school_year=2026)
    FamilyChild.objects.create(organisation=organisation, family=other, child=louise)
    bookings_apply(
        actor=other_user, family=other, changes=[Change(louise.pk, canteen.pk, THU_3)], now=NOW
    )
    html = page(client).html
    assert "jeudi 3 décembre, Repas : réservé par l'autre foyer" in html
    assert f'value="{cell(louise, canteen, THU_3)}"' not in html
    # Forged anyway: refused, the other household's booking stands.
    response = save(client, [], cell(louise, canteen, THU_3))
    assert "Réservé par l'autre foyer" in unescape(response.text)
    assert Booking.objects.get(day=THU_3).state == State.CONFIRMED


def test_a_justification_can_be_sent_after_the_absence(
    client, parent, family, louise, canteen, frozen
):
    thu_26 = date(2026, 11, 26)
    bookings_apply(
        actor=parent, family=family, changes=[Change(louise.pk, canteen.pk, thu_26)], now=NOW
    )
    frozen.move_to(NOW.replace(hour=10))
    url = f"/demo/famille/calendrier/absence/{louise.pk}/"
    client.post(url, {"first": "2026-11-26", "reason": "illness"})
    absence = Absence.objects.get()
    assert absence.document is None and absence.review == Absence.Review.TO_REVIEW
    page_html = unescape(client.get(url).text)
    assert "Absences en attente d'un justificatif" in page_html
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        url,
        {
            "absence": absence.pk,
            "justificatif": SimpleUploadedFile("c.pdf", b"%PDF-1.4 certificat", "application/pdf"),
        },
    )
    absence.refresh_from_db()
    assert absence.document.kind == "absence"
    assert "Absences en attente d'un justificatif" not in unescape(client.get(url).text)


def test_narrow_screens_go_to_the_week_view_only_when_no_view_was_chosen(client, parent, louise):
    assert "max-width: 639px" in client.get(URL).text
    assert "max-width: 639px" not in client.get(URL + "?mois=2026-12").text
    assert "max-width: 639px" not in client.get(URL + "?vue=semaine").text


def test_the_typical_weeks_of_all_children_are_one_action(
    client, parent, organisation, family, louise, canteen
):
    tao = ChildFactory(organisation=organisation, first_name="Tao", families=[family])
    for child, weekday in ((louise, "0"), (tao, "3")):
        enrollment = enroll(child, family, canteen)
        enrollment.typical_week = {weekday: [canteen.pk]}
        enrollment.save()
    louise.enrollments.exclude(typical_week={"0": [canteen.pk]}).delete()
    client.post(
        "/demo/famille/calendrier/semaine-type/",
        {"enfant": louise.pk, "tous": "1", "mois": "2026-12"},
    )
    assert set(Booking.objects.filter(child=louise).values_list("day", flat=True)) == {
        date(2026, 12, d) for d in (7, 14)
    }
    assert set(Booking.objects.filter(child=tao).values_list("day", flat=True)) == {
        date(2026, 12, d) for d in (3, 10, 17)
    }
    assert BookingAction.objects.count() == 1
