from functools import partial

from django.contrib import messages
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perisco.accounts import services as account_services
from perisco.accounts.models import User
from perisco.accounts.permissions import Permission, has_permission
from perisco.accounts.roles import STAFF_ROLES, Role
from perisco.activities.selectors import enrollment_queue
from perisco.backoffice.forms import OrganisationSettingsForm, RoleForm, StaffInviteForm
from perisco.billing.selectors import aged_debt
from perisco.bookings.selectors import (
    absences_to_review,
    attendance_day,
    booking_queue,
    waiting_from,
)
from perisco.core.errors import DomainError
from perisco.core.models import AuditEntry, Organisation, School
from perisco.core.money import ZERO
from perisco.core.services import organisation_update_settings
from perisco.core.urls import org_reverse
from perisco.families import services as family_services
from perisco.families.models import Child, Family, Guardian
from perisco.families.selectors import guardian_list, request_queue
from perisco.inbox.selectors import staff_unread_count
from perisco.web.access import require_permission

PAGE_SIZE = 25


@require_permission(Permission.VIEW_BACKOFFICE)
def home(request: HttpRequest) -> HttpResponse:
    if not has_permission(request.user, Permission.VIEW_FAMILIES) and has_permission(
        request.user, Permission.VIEW_CHILDREN
    ):
        # A facility agent's day starts with the children and their needs, not figures.
        return redirect(org_reverse(request.organisation, "backoffice:children"))
    today = timezone.localdate()
    can = partial(has_permission, request.user)
    todo = []  # (label, count, URL name) of what awaits the service
    if can(Permission.MANAGE_FAMILIES):
        todo += [
            (_("File changes and registrations to review"), request_queue().count(), "requests"),
            (_("Enrollments to validate"), enrollment_queue().count(), "enrollments"),
        ]
    if can(Permission.MANAGE_BOOKINGS):
        todo += [
            (_("Bookings and cancellations to decide"), booking_queue().count(), "bookings"),
            (_("Late absences to review"), absences_to_review().count(), "absences"),
            (
                _("Days on a waiting list, from today"),
                waiting_from(today).count(),
                "occupancy_index",
            ),
        ]
    if can(Permission.MANAGE_MESSAGES):
        todo.append(
            (_("Conversations with an unread family message"), staff_unread_count(), "messages")
        )
    sheets = attendance_day(today) if can(Permission.TAKE_ATTENDANCE) else None
    debt = aged_debt(today=today, top=0) if can(Permission.MANAGE_BILLING) else None
    figures = {
        "families": Family.objects.count(),
        "children": Child.objects.count(),
        "schools": School.objects.count(),
        "guardian_accounts": User.objects.filter(role=Role.GUARDIAN, is_active=True)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .count(),
        "staff": User.objects.filter(role__in=STAFF_ROLES, is_active=True).count(),
    }
    return render(
        request,
        "backoffice/home.html",
        {
            "figures": figures,
            "todo": todo,
            "today": today,
            "sheets": sheets,
            "debt": debt,
            "overdue": sum(debt.bands[1:], ZERO) if debt else ZERO,
        },
    )


@require_permission(Permission.MANAGE_USERS)
def staff(request: HttpRequest) -> HttpResponse:
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.staff_invite(
                organisation=request.organisation, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
            return redirect(org_reverse(request.organisation, "backoffice:staff"))
    members = User.objects.filter(role__in=STAFF_ROLES).order_by("-is_active", "last_name")
    return render(
        request,
        "backoffice/staff.html",
        {"form": form, "members": members, "role_form": RoleForm()},
    )


def _staff_member(pk: int) -> User:
    return get_object_or_404(User.objects.filter(role__in=STAFF_ROLES), pk=pk)


def _back_to_staff(request, action):
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Saved."))
    return redirect(org_reverse(request.organisation, "backoffice:staff"))


@require_POST
@require_permission(Permission.MANAGE_USERS)
def staff_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = _staff_member(pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role from the list."))
        return redirect(org_reverse(request.organisation, "backoffice:staff"))
    return _back_to_staff(
        request,
        lambda: account_services.user_role_change(
            actor=request.user, user=member, role=form.cleaned_data["role"]
        ),
    )


@require_POST
@require_permission(Permission.MANAGE_USERS)
def staff_active(request: HttpRequest, pk: int) -> HttpResponse:
    member = _staff_member(pk)
    active = request.POST.get("active") == "1"
    return _back_to_staff(
        request,
        lambda: account_services.user_set_active(actor=request.user, user=member, active=active),
    )


@require_POST
@require_permission(Permission.MANAGE_USERS)
def staff_reinvite(request: HttpRequest, pk: int) -> HttpResponse:
    member = _staff_member(pk)
    return _back_to_staff(
        request, lambda: account_services.invitation_send(user=member, actor=request.user)
    )


@require_POST
@require_permission(Permission.MANAGE_USERS)
def staff_reset_2fa(request: HttpRequest, pk: int) -> HttpResponse:
    member = _staff_member(pk)
    return _back_to_staff(
        request, lambda: account_services.two_factor_reset(actor=request.user, user=member)
    )


@require_permission(Permission.INVITE_GUARDIANS)
def guardian_accounts(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    page = Paginator(guardian_list(search=search), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "search": search}
    if request.htmx:
        return render(request, "backoffice/guardian_accounts.html#results", context)
    return render(request, "backoffice/guardian_accounts.html", context)


@require_POST
@require_permission(Permission.INVITE_GUARDIANS)
def guardian_invite(request: HttpRequest, pk: int) -> HttpResponse:
    guardian = get_object_or_404(Guardian, pk=pk)
    try:
        user = family_services.guardian_invite(guardian=guardian, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
    target = org_reverse(request.organisation, "backoffice:guardian_accounts")
    query = request.POST.get("q", "")
    return redirect(f"{target}?q={query}" if query else target)


@require_permission(Permission.MANAGE_SETTINGS)
def settings(request: HttpRequest) -> HttpResponse:
    form = OrganisationSettingsForm(
        request.POST or None,
        request.FILES or None,
        # A copy: the page around the form keeps the saved name and colour until saved.
        instance=Organisation.objects.get(pk=request.organisation.pk),
    )
    changed = None
    if request.method == "POST" and form.is_valid():
        try:
            changed = organisation_update_settings(
                actor=request.user,
                organisation=request.organisation,
                values=form.cleaned_data,
                logo=form.cleaned_data["logo"],
                remove_logo=form.cleaned_data.get("remove_logo", False),
            )
        except DomainError as error:
            form.add_error(error.field, error.message)
    if changed is not None:
        if changed:
            messages.success(request, _("Settings saved."))
        else:
            messages.info(request, _("Nothing to save: no setting was changed."))
        return redirect(org_reverse(request.organisation, "backoffice:settings"))
    return render(request, "backoffice/settings.html", {"form": form})


@require_permission(Permission.VIEW_AUDIT_LOG)
def audit(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.select_related("actor")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/audit.html", {"page": page})
