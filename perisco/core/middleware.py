import logging
import time
import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control

from perisco.core.http import client_ip
from perisco.core.logging import request_id_var
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope
from perisco.core.urls import PLATFORM_SLUG, current_request

logger = logging.getLogger("perisco.request")


def loggable_path(request: HttpRequest) -> str:
    """The path without the secrets some addresses carry (a calendar feed's token, an
    invitation's, a password reset's): logs are kept longer and read by more people than
    the database, and a feed's address is fetched every few hours."""
    match = getattr(request, "resolver_match", None)
    path = request.path
    for name in ("token", "uidb64"):
        secret = match.kwargs.get(name) if match is not None else None
        if secret and len(secret) > 8:
            path = path.replace(secret, secret[:4] + "…")
    return path


class RequestLogMiddleware:
    """One structured log line per request, with an id that also goes back in a header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        request_token = current_request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-Id"] = request_id
            user = getattr(request, "user", None)
            organisation = getattr(request, "organisation", None)
            path = loggable_path(request)
            logger.info(
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "method": request.method,
                    "client_ip": client_ip(request),
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "organisation": organisation.slug if organisation else None,
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            current_request.reset(request_token)
            request_id_var.reset(token)


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in user and on every
    file (a document, a photo, a child's sheet with health data): no shared proxy and no
    browser cache keeps a family's data after the visit — on a shared computer at the
    library, the back button after signing out shows nothing. One place, so a new page
    cannot forget it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or response.has_header("Content-Disposition"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class OrganisationMiddleware:
    """Resolve the organisation from the URL's first segment and run the view in its scope.

    Every page of an organisation lives under /<org_slug>/. A user signed in to another
    organisation gets a 404 there, as for an organisation that does not exist: nothing tells
    them whether it does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organisation = None  # type: ignore[attr-defined]
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        slug = match.kwargs.get("org_slug")
        if slug is None:
            return self.get_response(request)
        user = request.user
        if slug == PLATFORM_SLUG:
            # The operator's site: no organisation is active, so scoped queries raise.
            if user.is_authenticated and not user.is_platform_admin:
                raise Http404
            return self.get_response(request)
        organisation = user.organisation if user.is_authenticated else None
        if organisation is None or organisation.slug != slug or not organisation.is_active:
            # (The signed-in user's own, loaded with them, spares the query.)
            organisation = Organisation.objects.filter(slug=slug, is_active=True).first()
        if organisation is None:
            raise Http404
        if user.is_authenticated and user.organisation_id != organisation.pk:
            raise Http404
        request.organisation = organisation  # type: ignore[attr-defined]
        with organisation_scope(organisation):
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Views get the organisation as request.organisation, not as an argument.
        view_kwargs.pop("org_slug", None)
        return None
