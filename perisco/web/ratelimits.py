"""Limits on what a stranger can make Périsco e-mail: per address and per client."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

from perisco.accounts.models import normalize_email
from perisco.core.http import client_ip
from perisco.core.ratelimit import Limited, rate_limit_hit


def email_rate_limit(request: HttpRequest, *, purpose: str, address: str) -> Limited | None:
    """Count one e-mail `purpose` ("password_reset", "registration") for `address` and for
    the client; `Limited` if either went over its limit (settings.PERISCO_RATE_LIMITS).

    Both are always counted, and the answer is the same whether the address has an account
    or not: it tells nothing about who is registered.
    """
    site = request.organisation.slug if request.organisation is not None else ""
    by_address = rate_limit_hit(rule=f"{purpose}_address", key=f"{site}:{normalize_email(address)}")
    by_client = rate_limit_hit(rule=f"{purpose}_client", key=client_ip(request))
    limits = [limited for limited in (by_address, by_client) if limited is not None]
    return max(limits, key=lambda limited: limited.retry_after) if limits else None


def limited_message(limited: Limited) -> str:
    return ngettext(
        "Too many requests: for your security, no e-mail is sent for now. Try again in "
        "%(minutes)s minute. An e-mail sent earlier may already be in your inbox or your "
        "spam folder.",
        "Too many requests: for your security, no e-mail is sent for now. Try again in "
        "%(minutes)s minutes. An e-mail sent earlier may already be in your inbox or your "
        "spam folder.",
        limited.minutes,
    ) % {"minutes": limited.minutes}


def limited_response(response: HttpResponse, limited: Limited) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(limited.retry_after)
    return response
