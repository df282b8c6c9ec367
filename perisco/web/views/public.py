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
