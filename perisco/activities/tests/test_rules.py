"""The booking-rule engine, against the seeds' own examples, French holidays, the days the
clocks change, and properties checked by Hypothesis."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perisco.activities.calendars import public_holidays, school_holidays
from perisco.activities.rules import (
    END_OF_DAY,
    ActivityCalendar,
    AgeGroup,
    ChildContext,
    CountedIn,
    Deadline,
    Holidays,
    PeriodSpan,
    Reason,
    Season,
    UnitRules,
    can_book,
    can_cancel,
    deadline_for,
    opening,
    typical_week_slots,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")
SEED_000 = Deadline(3, CountedIn.WORKING, time(9, 0))  # 3 working days before, 09:00
SEED_003 = Deadline(8, CountedIn.CALENDAR, END_OF_DAY)  # 8 calendar days before
ALL_WEEK = frozenset(range(7))
SCHOOL_DAYS = frozenset({0, 1, 3, 4})


def france(*years, region="metropole") -> Holidays:
    public: dict = {}
    school: dict = {}
    for year in years:
        public.update(public_holidays(year, region))
        school.update(school_holidays(year, "A"))
    return Holidays(public=public, school=school)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


# --- Seed 000: "3 jours ouvrés avant, avant 9 h" -------------------------------------

# The seed's table: day of the meal -> the last day one may book or cancel, before 9:00.
SEED_000_TABLE = {
    "Lundi": "Mercredi précédent",
    "Mardi": "Jeudi précédent",
    "Mercredi": "Vendredi précédent",
    "Jeudi": "Lundi précédent",
    "Vendredi": "Mardi précédent",
}
FRENCH_DAYS = ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"]


@pytest.mark.parametrize("week_monday", [date(2026, 11, 30), date(2027, 1, 18), date(2027, 6, 7)])
@pytest.mark.parametrize("offset", range(5))
def test_the_seed_000_table_for_every_weekday(week_monday, offset):
    day = week_monday + timedelta(days=offset)
    deadline = deadline_for(SEED_000, day, france(2026, 2027))
    expected_name = SEED_000_TABLE[FRENCH_DAYS[day.weekday()]].removesuffix(" précédent")
    assert FRENCH_DAYS[deadline.weekday()] == expected_name
    assert deadline.date() < day and (day - deadline.date()).days <= 7
    assert deadline.timetz().replace(tzinfo=None) == time(9, 0)


def unit(deadline=SEED_000, **kwargs) -> UnitRules:
    return UnitRules(
        unit_id=kwargs.pop("unit_id", 1),
        activity_id=1,
        booking=deadline,
        cancellation=deadline,
        requires_enrollment=False,
        **kwargs,
    )


def calendar(season=Season.ALL_YEAR, weekdays=ALL_WEEK, **kwargs) -> ActivityCalendar:
    return ActivityCalendar(
        activity_id=1,
        season=season,
        periods=(PeriodSpan(date(2026, 9, 1), date(2027, 8, 31), weekdays),),
        **kwargs,
    )


CHILD = ChildContext(child_id=1, birth_date=date(2018, 5, 17))


def book(day, now, *, rules=None, cal=None, child=CHILD, holidays=None, counts=None):
    return can_book(
        unit=rules or unit(),
        calendar=cal or calendar(),
        child=child,
        day=day,
        now=now,
        holidays=holidays or france(2026, 2027),
        counts=counts or {},
    )


def test_a_monday_meal_can_be_booked_until_wednesday_08_59_59():
    monday = date(2026, 11, 30)
    assert book(monday, paris(2026, 11, 25, 8, 59, 59)).allowed
    refused = book(monday, paris(2026, 11, 25, 9, 0, 0))
    assert (refused.allowed, refused.reason) == (False, Reason.PAST_DEADLINE)
    assert refused.deadline == paris(2026, 11, 25, 9, 0)


def test_the_seed_003_rule_is_8_calendar_days_all_day_long():
    friday = date(2026, 12, 4)
    deadline = deadline_for(SEED_003, friday, france(2026))
    assert deadline.date() == date(2026, 11, 26)  # "le jeudi de la semaine précédente"
    rules = unit(SEED_003)
    assert book(friday, paris(2026, 11, 26, 23, 59, 59), rules=rules).allowed
    assert not book(friday, paris(2026, 11, 27, 0, 0, 0), rules=rules).allowed


# --- Public holidays ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "region", "last_day", "holiday"),
    [
        # 11 November 2026 is a Wednesday: Monday 16 -> Tuesday 10.
        (date(2026, 11, 16), "metropole", date(2026, 11, 10), "Armistice"),
        # Easter Monday 29 March 2027: Thursday 1 April -> Friday 26 March...
        (date(2027, 4, 1), "metropole", date(2027, 3, 26), "Lundi de Pâques"),
        # ...but Good Friday is a holiday in Alsace-Moselle: Thursday 25 March.
        (date(2027, 4, 1), "alsace_moselle", date(2027, 3, 25), "Vendredi saint"),
        # Ascension, Thursday 6 May 2027: Monday 10 -> Tuesday 4.
        (date(2027, 5, 10), "metropole", date(2027, 5, 4), "Ascension"),
        # Whit Monday 17 May 2027: Thursday 20 -> Friday 14 (Wed 19, Tue 18, Fri 14).
        (date(2027, 5, 20), "metropole", date(2027, 5, 14), "Lundi de Pentecôte"),
    ],
)
def test_public_holidays_are_not_working_days(day, region, last_day, holiday):
    holidays = france(2026, 2027, region=region)
    assert holiday in holidays.public.values()
    assert deadline_for(SEED_000, day, holidays) == paris(
        last_day.year, last_day.month, last_day.day, 9, 0
    )


def test_alsace_moselle_closes_on_its_two_extra_holidays():
    metropole = france(2026, 2027, region="metropole")
    alsace = france(2026, 2027, region="alsace_moselle")
    cal = calendar()
    for day in (date(2027, 3, 26), date(2026, 12, 26)):  # Good Friday, Saint-Étienne
        assert opening(cal, day, metropole) is None
        assert opening(cal, day, alsace) == Reason.PUBLIC_HOLIDAY


def test_whit_monday_can_be_a_working_day():
    assert date(2027, 5, 17) in public_holidays(2027, "metropole", True)
    assert date(2027, 5, 17) not in public_holidays(2027, "metropole", False)


def test_a_public_holiday_is_closed_unless_staff_open_it():
    armistice = date(2026, 11, 11)
    assert book(armistice, paris(2026, 10, 1)).reason == Reason.PUBLIC_HOLIDAY
    cal = calendar(opened_by_staff=frozenset({armistice}))
    assert book(armistice, paris(2026, 10, 1), cal=cal).allowed


# --- The days the clocks change ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "rule", "utc_deadline"),
    [
        # Spring forward on Sunday 28 March 2027: 09:00 is 07:00 UTC that day.
        (
            date(2027, 4, 5),
            Deadline(8, CountedIn.CALENDAR, time(9)),
            datetime(2027, 3, 28, 7, tzinfo=UTC),
        ),
        # Fall back on Sunday 25 October 2026: 09:00 is 08:00 UTC that day.
        (
            date(2026, 11, 2),
            Deadline(8, CountedIn.CALENDAR, time(9)),
            datetime(2026, 10, 25, 8, tzinfo=UTC),
        ),
        # Counting working days across the change: Tuesday 30 March 2027 (after Easter
        # Monday) -> Wednesday 24 March, still winter time.
        (date(2027, 3, 30), SEED_000, datetime(2027, 3, 24, 8, tzinfo=UTC)),
        # Monday 2 November 2026 -> Wednesday 28 October, winter time.
        (date(2026, 11, 2), SEED_000, datetime(2026, 10, 28, 8, tzinfo=UTC)),
    ],
)
def test_the_cut_off_second_holds_on_the_days_clocks_change(day, rule, utc_deadline):
    deadline = deadline_for(rule, day, france(2026, 2027))
    assert deadline == utc_deadline
    assert deadline.astimezone(PARIS).time() == time(9, 0)
    rules = unit(rule)
    just_before = (deadline - timedelta(seconds=1)).astimezone(PARIS)
    assert just_before.time() == time(8, 59, 59)
    assert book(day, just_before, rules=rules).allowed
    assert not book(day, deadline, rules=rules).allowed


# --- Opening -----------------------------------------------------------------------------


def test_school_time_activities_close_in_the_holidays_and_holiday_ones_open_only_then():
    holidays = france(2026)
    all_saints = date(2026, 10, 20)  # zone A, Toussaint holidays
    school_day = date(2026, 11, 17)
    canteen, leisure = calendar(Season.SCHOOL_TIME), calendar(Season.HOLIDAYS)
    assert opening(canteen, all_saints, holidays) == Reason.SCHOOL_HOLIDAYS
    assert opening(canteen, school_day, holidays) is None
    assert opening(leisure, all_saints, holidays) is None
    assert opening(leisure, school_day, holidays) == Reason.OUTSIDE_HOLIDAYS


def test_periods_weekdays_closures_and_staff_overrides():
    holidays = france(2026)
    tuesday, wednesday = date(2026, 11, 17), date(2026, 11, 18)
    cal = calendar(weekdays=SCHOOL_DAYS)
    assert opening(cal, wednesday, holidays) == Reason.NOT_AN_OPENING_DAY
    assert opening(cal, date(2027, 9, 7), holidays) == Reason.OUTSIDE_PERIOD
    closed = calendar(weekdays=SCHOOL_DAYS, closures=frozenset({tuesday}))
    assert opening(closed, tuesday, holidays) == Reason.CLOSED
    strike = calendar(closed_by_staff=frozenset({tuesday}))
    assert opening(strike, tuesday, holidays) == Reason.CLOSED
    extra = calendar(weekdays=SCHOOL_DAYS, opened_by_staff=frozenset({wednesday}))
    assert opening(extra, wednesday, holidays) is None


# --- Enrollment, horizon, exclusivity, dependency, capacity -----------------------------


def test_booking_needs_an_enrollment_covering_the_day():
    rules = UnitRules(unit_id=1, activity_id=1, booking=SEED_000, cancellation=SEED_000)
    day, now = date(2026, 11, 30), paris(2026, 11, 2)
    assert book(day, now, rules=rules).reason == Reason.NOT_ENROLLED
    enrolled = ChildContext(
        1, date(2018, 5, 17), enrolled={1: ((date(2026, 9, 1), date(2027, 7, 6)),)}
    )
    assert book(day, now, rules=rules, child=enrolled).allowed
    assert book(date(2027, 7, 7), now, rules=rules, child=enrolled).reason == Reason.NOT_ENROLLED


def test_booking_opens_within_the_horizon():
    rules = unit(horizon_days=30)
    day = date(2026, 12, 31)
    verdict = book(day, paris(2026, 11, 30, 23, 59), rules=rules)
    assert verdict.reason == Reason.BEYOND_HORIZON
    assert verdict.opens_at == paris(2026, 12, 1, 0, 0)
    assert book(day, paris(2026, 12, 1, 0, 0), rules=rules).allowed


def test_accueil_soir_and_accueil_soir_plus_etude_exclude_each_other():
    soir = unit(unit_id=10, exclusive_with=frozenset({11}))
    etude = unit(unit_id=11, exclusive_with=frozenset({10}))
    day, now = date(2026, 11, 30), paris(2026, 11, 2)
    with_soir = ChildContext(1, date(2016, 1, 1), units_by_day={day: frozenset({10})})
    verdict = book(day, now, rules=etude, child=with_soir)
    assert (verdict.reason, verdict.other_unit) == (Reason.EXCLUSIVE, 10)
    assert book(day + timedelta(days=1), now, rules=etude, child=with_soir).allowed
    assert book(day, now, rules=soir, child=with_soir).reason == Reason.ALREADY_BOOKED


def test_accueil_apres_tap_only_on_tap_days():
    after_tap = unit(unit_id=21, requires=frozenset({20}))
    day, now = date(2026, 11, 30), paris(2026, 11, 2)
    verdict = book(day, now, rules=after_tap)
    assert (verdict.reason, verdict.other_unit) == (Reason.MISSING_DEPENDENCY, 20)
    on_tap = ChildContext(1, date(2016, 1, 1), units_by_day={day: frozenset({20})})
    assert book(day, now, rules=after_tap, child=on_tap).allowed


def test_a_full_day_offers_the_waiting_list():
    day, now = date(2026, 11, 30), paris(2026, 11, 2)
    rules = unit(capacity=2, capacity_by_date={date(2026, 12, 1): 3})
    verdict = book(day, now, rules=rules, counts={(1, day, None): 2})
    assert (verdict.allowed, verdict.reason, verdict.waiting_list) == (False, Reason.FULL, True)
    assert book(day, now, rules=rules, counts={(1, day, None): 1}).allowed
    tuesday = date(2026, 12, 1)
    assert book(tuesday, now, rules=rules, counts={(1, tuesday, None): 2}).allowed


def test_places_by_age_group():
    day, now = date(2026, 11, 30), paris(2026, 11, 2)
    groups = (
        AgeGroup(key=1, min_age=3, max_age=5, capacity=1),
        AgeGroup(key=2, min_age=6, max_age=11, capacity=5),
    )
    rules = unit(age_groups=groups)
    small = ChildContext(1, date(2022, 1, 1))
    big = ChildContext(2, date(2017, 1, 1))
    counts = {(1, day, 1): 1}
    assert book(day, now, rules=rules, child=small, counts=counts).reason == Reason.FULL
    assert book(day, now, rules=rules, child=big, counts=counts).allowed


def test_cancelling_follows_its_own_deadline():
    rules = UnitRules(
        1,
        1,
        booking=SEED_000,
        cancellation=Deadline(1, CountedIn.WORKING),
        requires_enrollment=False,
    )
    day = date(2026, 11, 30)
    booked = ChildContext(1, date(2018, 1, 1), units_by_day={day: frozenset({1})})
    holidays = france(2026)
    assert can_cancel(
        unit=rules, child=booked, day=day, now=paris(2026, 11, 27, 8, 59), holidays=holidays
    ).allowed
    late = can_cancel(
        unit=rules, child=booked, day=day, now=paris(2026, 11, 27, 9), holidays=holidays
    )
    assert (late.allowed, late.reason) == (False, Reason.PAST_DEADLINE)
    assert (
        can_cancel(
            unit=rules, child=CHILD, day=day, now=paris(2026, 11, 2), holidays=holidays
        ).reason
        == Reason.NOT_BOOKED
    )


def test_a_typical_week_lists_its_days_and_says_which_can_still_be_booked():
    meal = unit(unit_id=5)
    cal = calendar(Season.SCHOOL_TIME, SCHOOL_DAYS)
    slots = typical_week_slots(
        typical_week={0: [5], 1: [5], 2: [5], 3: [5]},
        units={5: meal},
        calendars={1: cal},
        child=CHILD,
        start=date(2026, 11, 9),
        end=date(2026, 11, 20),
        now=paris(2026, 11, 11, 10),
        holidays=france(2026),
        counts={},
    )
    days = [(d, v.allowed) for _unit, d, v in slots]
    # Wednesdays are not opening days; 11 November is a public holiday.
    assert [d for d, _ok in days] == [
        date(2026, 11, 9),
        date(2026, 11, 10),
        date(2026, 11, 12),
        date(2026, 11, 16),
        date(2026, 11, 17),
        date(2026, 11, 19),
    ]
    assert dict(days)[date(2026, 11, 16)] is False  # deadline was Tuesday 10
    assert dict(days)[date(2026, 11, 19)] is True


def test_a_negative_deadline_is_refused():
    with pytest.raises(ValueError):
        Deadline(-1)


# --- Properties ---------------------------------------------------------------------------

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
holiday_sets = st.frozensets(days, max_size=40)
cutoffs = st.one_of(st.just(END_OF_DAY), st.times())


@given(
    day=days,
    n=st.integers(0, 60),
    counted=st.sampled_from(list(CountedIn)),
    cutoff=cutoffs,
    holidays=holiday_sets,
)
def test_a_deadline_is_never_after_the_day(day, n, counted, cutoff, holidays):
    deadline = deadline_for(
        Deadline(n, counted, cutoff), day, Holidays(public=dict.fromkeys(holidays, "x"))
    )
    assert deadline.date() <= day
    assert deadline.tzinfo is not None


@given(day=days, n=st.integers(1, 60), holidays=holiday_sets, extra=days)
def test_adding_a_public_holiday_never_makes_a_deadline_later(day, n, holidays, extra):
    rule = Deadline(n, CountedIn.WORKING)
    before = deadline_for(rule, day, Holidays(public=dict.fromkeys(holidays, "x")))
    after = deadline_for(rule, day, Holidays(public=dict.fromkeys(holidays | {extra}, "x")))
    assert after <= before


@given(day=days, n=st.integers(1, 60), holidays=holiday_sets)
def test_working_day_deadlines_fall_on_working_days(day, n, holidays):
    deadline = deadline_for(
        Deadline(n, CountedIn.WORKING), day, Holidays(public=dict.fromkeys(holidays, "x"))
    )
    assert deadline.weekday() < 5
    assert deadline.date() not in holidays


@given(day=days, n=st.integers(0, 60))
def test_calendar_deadlines_are_exactly_n_days_before(day, n):
    deadline = deadline_for(Deadline(n, CountedIn.CALENDAR, time(9)), day, Holidays())
    assert deadline.date() == day - timedelta(days=n)
