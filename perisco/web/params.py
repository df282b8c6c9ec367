"""Reading query parameters shared by several pages."""

from datetime import date

from django.utils import timezone


def month_param(value: str) -> tuple[int, int]:
    """ "2026-11" -> (2026, 11); anything else is the current month."""
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        return today.year, today.month
    return year, month


def neighbour_months(year: int, month: int) -> tuple[date, date]:
    previous = date(year - (month == 1), 12 if month == 1 else month - 1, 1)
    following = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return previous, following
