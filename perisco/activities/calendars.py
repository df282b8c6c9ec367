"""Public and school holidays, from maintained libraries that work offline.

`holidays` gives France's public holidays (Alsace-Moselle adds Good Friday and
26 December); `vacances-scolaires-france` gives school holidays by zone from data it
ships (1990–2028 in version 0.12: a year it does not know yields no school holidays and a
warning in the logs, rather than an error on every page).
"""

import logging
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays as holidays_lib
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

from perisco.activities.rules import Holidays
from perisco.core.models import Organisation, PublicHolidayRegion

logger = logging.getLogger(__name__)
WHIT_MONDAY = "Lundi de Pentecôte"
# Longest span a deadline may count back (activities refuse longer ones).
DEADLINE_MARGIN_DAYS = 120


@lru_cache(maxsize=64)
@lru_cache(maxsize=64)
def public_holidays(year: int, region: str, whit_monday: bool = True) -> dict[date, str]:
    subdiv = "57" if region == PublicHolidayRegion.ALSACE_MOSELLE else None
    days = dict(holidays_lib.France(years=year, subdiv=subdiv, language="fr").items())
    if not whit_monday:
        # Many towns work on Whit Monday ("journée de solidarité"): a setting says so.
        days = {d: name for d, name in days.items() if name != WHIT_MONDAY}
    return days


@lru_cache(maxsize=1)
def _school_holiday_dates() -> SchoolHolidayDates:
    # Parses the library's CSV (~0.5 s): once per process.
    return SchoolHolidayDates()


@lru_cache(maxsize=64)
def school_holidays(year: int, zone: str) -> dict[date, str]:
    try:
        rows = _school_holiday_dates().holidays_for_year_and_zone(year, zone)
    except UnsupportedYearException:
        logger.warning("No school-holiday data for %s (zone %s): upgrade the library", year, zone)
        return {}
    return {day: row["nom_vacances"] for day, row in rows.items()}


def holidays_for(organisation: Organisation, start: date, end: date) -> Holidays:
    """Both calendars of an organisation over [start, end] (a few years at most)."""
    return _holidays(
        organisation.public_holiday_region,
        organisation.whit_monday_is_holiday,
        organisation.school_holiday_zone,
        start,
        end,
    )


# Every calendar page and booking action asks for its month's: drawn once per process.
@lru_cache(maxsize=256)
def _holidays(region: str, whit_monday: bool, zone: str, start: date, end: date) -> Holidays:
    public: dict[date, str] = {}
    school: dict[date, str] = {}
    for year in range(start.year - 1, end.year + 1):
        public.update(public_holidays(year, region, whit_monday))
        school.update(school_holidays(year, zone))
    # Deadlines count working days back from `start`: keep a margin before it.
    first = start - timedelta(days=DEADLINE_MARGIN_DAYS)
    return Holidays(
        public=MappingProxyType({d: n for d, n in public.items() if first <= d <= end}),
        school=MappingProxyType({d: n for d, n in school.items() if first <= d <= end}),
    )
