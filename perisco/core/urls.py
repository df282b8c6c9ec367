"""URL helpers: every page of an organisation's site takes the `org_slug` argument."""

from django.conf import settings
from django.urls import reverse

from perisco.core.models import Organisation

# The platform operator's site uses the same login and account pages as an organisation's,
# under this first segment (a reserved slug no organisation can take).
PLATFORM_SLUG = "plateforme"


def org_reverse(organisation: Organisation | None, name: str, **kwargs) -> str:
    """The URL `name` on an organisation's site, or on the platform site for None."""
    slug = organisation.slug if organisation is not None else PLATFORM_SLUG
    return reverse(name, kwargs={"org_slug": slug, **kwargs})


def org_absolute_url(organisation: Organisation | None, name: str, **kwargs) -> str:
    """For links in e-mails, which background tasks build without a request."""
    return settings.PERISCO_BASE_URL + org_reverse(organisation, name, **kwargs)
