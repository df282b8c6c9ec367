"""Reading query parameters shared by several pages."""

from datetime import date

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from perisco.core.errors import InvalidRequest


def same_site_path(request: HttpRequest, value: str) -> str:
    """A `next` address to go back to after a form: kept only when it is a path on this
    site ("/demo/gestion/demandes/?page=2"), else "" — never a redirect to elsewhere,
    which a link or a forged form would otherwise turn into a phishing hop."""
    if not value.startswith("/") or not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return value


def day_param(value: str) -> date:
    """A day in a URL ("2026-11-30"); anything else is a 404, as a page that is not there."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


# Months a calendar shows: ten years either side of today, enough for any school year
# looked back on or planned, and far from the limits of dates (year 1, year 9999) and of
# the holiday calendars.
MONTH_YEARS_AROUND = 10


def month_param(value: str) -> tuple[int, int]:
    """ "2026-11" -> (2026, 11); an empty or malformed value is the current month; a month
    too far from today is a 400 that says which months can be shown."""
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
    except ValueError:
        return today.year, today.month
    first, last = today.year - MONTH_YEARS_AROUND, today.year + MONTH_YEARS_AROUND
    if not first <= year <= last:
        raise InvalidRequest(
            _("This month cannot be shown: choose a month between %(first)s and %(last)s.")
            % {
                "first": date_format(date(first, 1, 1), "YEAR_MONTH_FORMAT"),
                "last": date_format(date(last, 12, 1), "YEAR_MONTH_FORMAT"),
            }
        )
    return year, month


def neighbour_months(year: int, month: int) -> tuple[date, date]:
    previous = date(year - (month == 1), 12 if month == 1 else month - 1, 1)
    following = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return previous, following
