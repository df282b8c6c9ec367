from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from perisco.accounts.permissions import Permission
from perisco.billing.selectors import family_account_summary
from perisco.bookings.selectors import HOME_DAYS, family_home
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.forms import CertificationForm
from perisco.families.models import Document, DocumentKind, FamilyCertification, FamilyStatus
from perisco.families.selectors import access_family, family_children
from perisco.families.services import certification_year, family_certify
from perisco.inbox.selectors import announcements_current, family_unread_counts
from perisco.web.access import require_permission


@require_permission(Permission.USE_PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    now = timezone.now()
    today = timezone.localdate(now)
    bookings = family_home(family, now)
    children = [
        (child, child.age_on(today), bookings.next_days.get(child.pk, []))
        for child in family_children(family)
    ]
    year = certification_year(today)
    unread = family_unread_counts(family)
    return render(
        request,
        "portal/home.html",
        {
            "family": family,
            "pending_registration": family.status == FamilyStatus.PENDING,
            "guardians": family.guardians.select_related("user"),
            "children": children,
            "today": today,
            "certification_year": year,
            "certified": FamilyCertification.objects.filter(
                family=family, school_year=year
            ).exists(),
            "summary": family_account_summary(family, today),
            "deadlines": bookings.deadlines,
            "home_days": HOME_DAYS,
            "unread": unread["received"] + unread["sent"],
            "unread_received": unread["received"],
            "announcements": announcements_current(today),
        },
    )


@require_permission(Permission.USE_PORTAL)
def certification(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    year = certification_year(timezone.localdate())
    done = FamilyCertification.objects.filter(family=family, school_year=year).first()
    form = CertificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            family_certify(actor=request.user, family=family, school_year=year, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Thank you: your file is certified for the school year %(year)s-%(next)s.")
                % {"year": year, "next": year + 1},
            )
            return redirect(org_reverse(request.organisation, "portal:home"))
    rules = (
        Document.objects.filter(kind=DocumentKind.RULES, is_published=True)
        .order_by("-uploaded_at")
        .first()
    )
    return render(
        request,
        "portal/certification.html",
        {"form": form, "year": year, "next_year": year + 1, "done": done, "rules": rules},
    )
