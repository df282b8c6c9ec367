"""The family's calendar for phones: an iCalendar feed at a private address, fetched by
calendar apps without signing in (`bookings.feeds`)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from perisco.bookings.feeds import calendar_feed_for_token, feed_ics
from perisco.core.http import client_ip
from perisco.core.ratelimit import rate_limit_hit
from perisco.web.access import public
from perisco.web.ratelimits import limited_response


@public
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """404 for an unknown, revoked or renewed address, and for another organisation's
    (the token is looked up in this organisation only)."""
    organisation = request.organisation
    if organisation is None:
        raise Http404
    feed = calendar_feed_for_token(organisation, token)
    if feed is None:
        # Guessing 256-bit tokens is hopeless; this only keeps a client from hammering.
        limited = rate_limit_hit(rule="calendar_feed_miss_client", key=client_ip(request))
        if limited is not None:
            return limited_response(HttpResponse(status=429), limited)
        raise Http404
    # Per address, not per client: Google and Apple fetch every subscriber's feed from a
    # few shared addresses of theirs.
    limited = rate_limit_hit(rule="calendar_feed_token", key=feed.token_hash)
    if limited is not None:
        return limited_response(HttpResponse(status=429), limited)
    response = HttpResponse(
        feed_ics(feed=feed, organisation=organisation, now=timezone.now()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="calendrier.ics"'
    # Children's days: never kept by a shared cache (the middleware adds it for files too).
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
