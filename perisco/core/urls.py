"""URL helpers: every page of an organisation's site takes the `org_slug` argument."""

from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse

from perisco.core.models import Organisation

# The platform operator's site uses the same login and account pages as an organisation's,
# under this first segment (a reserved slug no organisation can take).
PLATFORM_SLUG = "plateforme"


def org_reverse(organisation: Organisation | None, name: str, **kwargs) -> str:
    """The URL `name` on an organisation's site, or on the platform site for None."""
    slug = organisation.slug if organisation is not None else PLATFORM_SLUG
    return reverse(name, kwargs={"org_slug": slug, **kwargs})


# The request being answered (set by RequestLogMiddleware), for site_base_url().
current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def site_base_url() -> str:
    """Scheme and host of the site, for links in e-mails: PERISCO_BASE_URL when it is set
    (always in production, so a forged Host header never reaches an e-mail), else the
    address the browser used (`make run` on another host or port)."""
    if settings.PERISCO_BASE_URL:
        return settings.PERISCO_BASE_URL
    request = current_request.get()
    if request is None and settings.DEBUG:
        return runserver_default_url()  # a command run next to `manage.py runserver`
    if request is None:
        raise ImproperlyConfigured(
            "Set PERISCO_BASE_URL: links in e-mails sent outside a request need the site's address."
        )
    return f"{request.scheme}://{request.get_host()}"


def runserver_default_url() -> str:
    """Where `manage.py runserver` serves when given no address."""
    from django.core.management.commands.runserver import Command

    return f"http://{Command.default_addr}:{Command.default_port}"


def org_absolute_url(organisation: Organisation | None, name: str, **kwargs) -> str:
    """For links in e-mails, which background tasks build without a request."""
    return site_base_url() + org_reverse(organisation, name, **kwargs)
