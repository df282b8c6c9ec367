from datetime import date

from django.conf import settings
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import check_for_language
from django.utils.translation import gettext_lazy as _
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


# The help page's sections: (anchor, title, screen, the screen's description, what to know).
HELP_SECTIONS = (
    (
        "home",
        _("Your home page"),
        "perisco/help/home.jpg",
        _("The home page on a phone: an announcement, the new messages, the invoices to pay."),
        (
            _("What you owe and the unpaid invoices, with a button to pay them online."),
            _("New messages, and the childhood service's announcements."),
            _("Each child's next booked days, and until when you can book the next weeks."),
        ),
    ),
    (
        "enrollments",
        _("Enrolling a child in an activity"),
        "perisco/help/enrollments.jpg",
        _("The enrollments page: each child's activities and their status."),
        (
            _(
                "A child is enrolled in an activity (the canteen, childcare, the leisure centre) "
                "before it can be booked: choose the activity, the period and the usual days."
            ),
            _(
                "The childhood service validates the enrollment; the usual days are then booked "
                "for you, and you can change any of them in the calendar."
            ),
        ),
    ),
    (
        "calendar",
        _("Booking and cancelling days"),
        "perisco/help/calendar.jpg",
        _("The calendar on a phone: one week, a column per part of the day."),
        (
            _(
                "Tick a day to book it, untick it to cancel it, then save: each day says until "
                "when it can be changed."
            ),
            _(
                "When a day is full, your child goes on the waiting list, and you are told if a "
                "place frees up."
            ),
            _(
                "Your child is ill? Declare an absence from the calendar, and send the "
                "certificate from the Documents page."
            ),
        ),
    ),
    (
        "invoices",
        _("Invoices and payment"),
        "perisco/help/invoices.jpg",
        _("The invoices page: what is left to pay and each month's invoice."),
        (
            _("Each month's invoice arrives here (and by e-mail), with its PDF."),
            _(
                "Pay by card when the service offers it, or as the invoice says (cheque, cash, "
                "direct debit); the account statement lists every invoice and payment."
            ),
        ),
    ),
    (
        "messages",
        _("Messages"),
        "perisco/help/messages.jpg",
        _("The messages page: received, sent and trash."),
        (
            _(
                "Write to the childhood service, about a child or a facility if you wish, with "
                "documents attached."
            ),
            _("Its answers arrive here; you are told by e-mail if you accept e-mails."),
        ),
    ),
    (
        "file",
        _("Your family file"),
        "perisco/help/family.jpg",
        _("The family file: guardians, quotient familial, bank details."),
        (
            _(
                "Check your file and your children's (health, people allowed to pick them up), "
                "and ask for a change: the service checks it, and you follow it in My requests."
            ),
            _("Once a school year, certify that your file is up to date before booking."),
        ),
    ),
)


@public
def help_page(request: HttpRequest) -> HttpResponse:
    """How to use the portal, with its screens (scripts/help_screens.py takes them)."""
    return _site_page(request, "web/help.html", {"sections": HELP_SECTIONS})


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
