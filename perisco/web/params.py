"""Reading query parameters shared by several pages."""

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme


def same_site_path(request: HttpRequest, value: str) -> str:
    """A `next` address to go back to after a form: kept only when it is a path on this
    site ("/demo/gestion/demandes/?page=2"), else "" — never a redirect to elsewhere,
    which a link or a forged form would otherwise turn into a phishing hop."""
    if not value.startswith("/") or not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return value


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
