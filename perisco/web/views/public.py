from datetime import date

from django.conf import settings
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import check_for_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from perisco.accounts.models import Language
from perisco.core.models import Organisation
from perisco.core.urls import org_reverse
from perisco.families.models import Document
from perisco.families.services import UNVERIFIED_REGISTRATION_DAYS
from perisco.messaging.services import KEEP_FINISHED_FOR
from perisco.web.access import home_url, open_before_account_setup, public
from perisco.web.params import same_site_path


@public
def root(request: HttpRequest) -> HttpResponse:
    """The platform's front page: what Périsco is, and the municipalities it serves (public
    bodies' names only; nothing private)."""
    organisations = Organisation.objects.filter(is_active=True).only("name", "slug")
    return render(request, "web/root.html", {"organisations": organisations})


@public
def home(request: HttpRequest) -> HttpResponse:
    """An organisation's front page: who to contact, and the way in."""
    if request.user.is_authenticated:
        return redirect(home_url(request.user))
    if request.organisation is None:
        return redirect(org_reverse(None, "web:login"))
    public_documents = Document.objects.filter(is_published=True, is_public=True)
    return render(request, "web/home.html", {"public_documents": public_documents})


@public
def contact(request: HttpRequest) -> HttpResponse:
    """How to reach the childhood service: for everyone, signed in or not (the front page,
    which says the same, sends signed-in users to their home)."""
    return _site_page(request, "web/contact.html")


@public
def legal_notices(request: HttpRequest) -> HttpResponse:
    """Mentions légales (LCEN, article 6): who publishes the site, who hosts it."""
    return _site_page(request, "web/legal_notices.html", {"hosting": settings.PERISCO_HOSTING})


@public
def privacy(request: HttpRequest) -> HttpResponse:
    """What personal data the portal keeps, who sees it, for how long: each figure read
    from the code that applies it, so the page stays true when one changes."""
    return _site_page(
        request,
        "web/privacy.html",
        {
            "registration_days": UNVERIFIED_REGISTRATION_DAYS,
            "email_days": KEEP_FINISHED_FOR.days,
            "session_hours": settings.SESSION_COOKIE_AGE // 3600,
            "lockout_minutes": round(settings.AXES_COOLOFF_TIME * 60),
        },
    )


# When the accessibility statement was last checked against the pages (RGAA asks for it).
ACCESSIBILITY_CHECKED_ON = date(2026, 11, 23)


@public
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (RGAA): what is tested, how, and whom to tell."""
    return _site_page(request, "web/accessibility.html", {"checked_on": ACCESSIBILITY_CHECKED_ON})


def _site_page(request: HttpRequest, template: str, context: dict | None = None) -> HttpResponse:
    """A page of an organisation's site only: the platform site has no such page."""
    if request.organisation is None:
        raise Http404
    return render(request, template, context)


@public
@open_before_account_setup
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the account for e-mails too."""
    language = request.POST.get("language", "")
    target = same_site_path(request, request.POST.get("next", "")) or reverse("root")
    response = redirect(target)
    if language in Language.values and check_for_language(language):
        response.set_cookie(
            "perisco_language",
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
        )
        user = request.user
        if user.is_authenticated and user.language != language:
            user.language = language
            user.save(update_fields=["language"])
    return response


@public
@open_before_account_setup
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and monitoring: 200 when the database answers, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@public
def logo(request: HttpRequest) -> FileResponse:
    """The organisation's logo (public: the sign-in page and e-mails show it). Its URL
    carries a version, so it may be cached."""
    organisation = request.organisation
    if organisation is None or not organisation.logo:
        raise Http404
    response = FileResponse(organisation.logo.open("rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response
