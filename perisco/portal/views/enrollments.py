"""The family's enrollments ("Mes inscriptions", seed 003)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.activities.forms import EnrollmentForm
from perisco.activities.models import Enrollment
from perisco.activities.selectors import (
    enrollment_choice,
    family_enrollments,
)
from perisco.activities.services import enrollment_request, enrollment_withdraw
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.selectors import access_child, access_family, family_children
from perisco.web.access import require_permission


@require_permission(Permission.USE_PORTAL)
def enrollments(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    return render(
        request,
        "portal/enrollments.html",
        {"children": family_children(family), "enrollments": family_enrollments(family)},
    )


@require_permission(Permission.USE_PORTAL)
def enrollment_new(request: HttpRequest) -> HttpResponse:
    """Child → facility → type → activity → period (seed 003), then dates and typical week.
    Each choice reloads the form (htmx swaps it in place; without JavaScript, "Continue");
    a step with a single option is chosen already."""
    family = access_family(request.user)
    children = list(family_children(family))
    wanted = request.GET.get("enfant", "")
    child = next((c for c in children if str(c.pk) == wanted), None)
    if child is None and len(children) == 1:
        child = children[0]
    choice = enrollment_choice(
        today=timezone.localdate(),
        child=child,
        chosen={
            "facility": request.GET.get("structure"),
            "activity_type": request.GET.get("type"),
            "activity": request.GET.get("activite"),
            "period": request.GET.get("periode"),
        },
    )
    period = choice.period
    form = EnrollmentForm(request.POST or None, period=period) if period and child else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            enrollment = enrollment_request(
                actor=request.user,
                family=family,
                child=access_child(family, child.pk),
                period=period,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                typical_week=form.typical_week(),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "Your enrollment request is sent. It shows with a question mark until the "
                    "childhood service validates it; you will receive an e-mail."
                )
                if enrollment.family_emailed
                else _(
                    "Your enrollment request is sent. It shows with a question mark until the "
                    "childhood service validates it; its decision will show in “Enrollments”."
                ),
            )
            return redirect(org_reverse(request.organisation, "portal:enrollments"))
    context = {"children": children, "child": child, "choice": choice, "form": form}
    template = "portal/enrollment_new.html"
    if request.htmx and request.method == "GET":
        template += "#chooser"
    return render(request, template, context)


@require_POST
@require_permission(Permission.USE_PORTAL)
def enrollment_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    family = access_family(request.user)
    enrollment = get_object_or_404(Enrollment, pk=pk, family=family)
    try:
        enrollment_withdraw(actor=request.user, enrollment=enrollment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your enrollment request is withdrawn."))
    # Back to the page the family withdrew from ("Mes demandes" or "Enrollments").
    back = "portal:requests" if request.POST.get("retour") == "demandes" else "portal:enrollments"
    return redirect(org_reverse(request.organisation, back))
