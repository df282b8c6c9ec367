"""Staff: an activity's tariffs, unit by unit (managers). Rules live in
perisco.billing.services."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from perisco.accounts.permissions import Permission
from perisco.activities.models import Activity, Unit
from perisco.backoffice.forms import TariffForm
from perisco.billing.models import Tariff
from perisco.billing.services import tariff_save
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.web.access import require_permission


@require_permission(Permission.MANAGE_ACTIVITIES)
def tariffs(request: HttpRequest, activity_pk: int) -> HttpResponse:
    activity = get_object_or_404(Activity, pk=activity_pk)
    units = activity.units.prefetch_related("tariffs").order_by("position", "name")
    return render(request, "backoffice/tariffs.html", {"activity": activity, "units": units})


@require_permission(Permission.MANAGE_ACTIVITIES)
def tariff_edit(request: HttpRequest, activity_pk: int, unit_pk: int, pk: int | None = None):
    activity = get_object_or_404(Activity, pk=activity_pk)
    unit = get_object_or_404(Unit, pk=unit_pk, activity=activity)
    tariff = (
        get_object_or_404(Tariff, pk=pk, unit=unit)
        if pk is not None
        else Tariff(organisation=request.organisation, unit=unit)
    )
    form = TariffForm(request.POST or None, instance=tariff)
    if request.method == "POST" and form.is_valid():
        try:
            tariff_save(actor=request.user, tariff=form.instance)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The tariff is saved."))
            return redirect(
                org_reverse(request.organisation, "backoffice:tariffs", activity_pk=activity.pk)
            )
    return render(
        request,
        "backoffice/tariff_form.html",
        {"activity": activity, "unit": unit, "form": form, "tariff": tariff},
    )
