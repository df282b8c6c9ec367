"""What the family's home page says of bookings: each child's next booked days and the
next deadlines, in words (SPEC §8)."""

from datetime import date, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.activities import catalogue_cache
from perisco.bookings.selectors import family_home
from perisco.bookings.services import Change, bookings_apply
from perisco.bookings.tests.conftest import MON_30, NOW, THU_3, TUE_1, enroll
from perisco.families.models import Guardian

THU_26, FRI_27 = date(2026, 11, 26), date(2026, 11, 27)


def book(parent, family, child, unit, *days):
    bookings_apply(
        actor=parent,
        family=family,
        changes=[Change(child.pk, unit.pk, day) for day in days],
        now=NOW,
    )


def test_each_child_shows_its_next_three_booked_days(parent, family, child, canteen):
    book(parent, family, child, canteen, THU_3, MON_30, TUE_1, date(2026, 12, 4))
    home = family_home(family, NOW)
    assert [(d.day, d.units) for d in home.next_days[child.pk]] == [
        (MON_30, ["Cantine – Repas"]),
        (TUE_1, ["Cantine – Repas"]),
        (THU_3, ["Cantine – Repas"]),
    ]


def test_the_next_deadline_is_the_first_week_with_days_left_to_book(parent, family, child, canteen):
    # Thursday 26 can be booked until 9:00 today (3 working days before).
    home = family_home(family, NOW)
    assert [(d.activity, d.week, d.deadline) for d in home.deadlines] == [
        ("Cantine", date(2026, 11, 23), NOW.replace(hour=9))
    ]
    # At 10:00 Thursday is gone: Friday 27 can be booked until Tuesday 9:00.
    later = family_home(family, NOW.replace(hour=10))
    assert later.deadlines[0].deadline == NOW.replace(day=24, hour=9)
    # With that week booked, the next one with free days comes up.
    book(parent, family, child, canteen, THU_26, FRI_27)
    booked = family_home(family, NOW)
    assert [(d.week, d.deadline) for d in booked.deadlines] == [
        (MON_30, NOW.replace(day=25, hour=9))
    ]


def test_the_home_page_says_it_in_words(client, parent, family, child, canteen):
    book(parent, family, child, canteen, MON_30)
    client.force_login(parent)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/demo/famille/").text
    assert "Prochaines échéances" in page
    assert "Cantine : réservez la semaine du 23 novembre avant le lundi 23 novembre à 9 h" in page
    assert "<strong>Lundi 30 novembre</strong> : Cantine – Repas" in page


def test_a_child_with_nothing_booked_says_so(client, parent, family, child):
    client.force_login(parent)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/demo/famille/").text
    assert "Rien de réservé dans les 28 prochains jours." in page


def test_the_other_household_s_days_are_not_listed_as_ours(
    organisation, parent, family, child, canteen, other_family
):
    other = other_family
    other_parent = Guardian.objects.get(family=other).user
    child.families.add(other, through_defaults={"organisation": organisation})
    enroll(child, other, canteen)
    book(other_parent, other, child, canteen, MON_30)
    assert family_home(family, NOW).next_days[child.pk] == []
    assert [d.day for d in family_home(other, NOW).next_days[child.pk]] == [MON_30]


def test_the_home_page_costs_the_same_queries_for_one_child_or_four(
    client, parent, family, canteen, make_child
):
    def queries():
        catalogue_cache.changed(family.organisation_id)  # the rules read, not cached
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as done:
            assert client.get("/demo/famille/").status_code == 200
        return len(done)

    client.force_login(parent)
    book(parent, family, make_child(family, canteen), canteen, MON_30)
    one = queries()
    for n in range(3):
        book(parent, family, make_child(family, canteen), canteen, MON_30, TUE_1 + timedelta(n))
    assert queries() == one
