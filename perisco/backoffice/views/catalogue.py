"""Staff: the catalogue (facilities, activity types, activities and their periods, units,
capacities, closures, opening exceptions), one generic form view for all of it."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.activities.forms import (
    ActivityForm,
    ActivityTypeForm,
    AgeGroupForm,
    CapacityOverrideForm,
    ClosureForm,
    DayOverrideForm,
    FacilityForm,
    PeriodForm,
    UnitForm,
)
from perisco.activities.models import (
    Activity,
    ActivityType,
    AgeGroupCapacity,
    CapacityOverride,
    Closure,
    DayOverride,
    Facility,
    Period,
    Unit,
)
from perisco.activities.selectors import (
    activity_list,
    activity_opening_month,
    closures_to_come,
)
from perisco.activities.services import catalogue_delete, catalogue_save
from perisco.bookings.services import places_delete, places_save
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.web.access import require_permission
from perisco.web.params import month_param


@dataclass(frozen=True)
class Kind:
    model: type[models.Model]
    form: type[forms.ModelForm]
    label: str | Promise
    # Kinds that belong to one activity (periods, units…) get it from the URL.
    nested: bool = False
    # Kinds that set places: more places go to the waiting lists at once.
    places: bool = False


KINDS = {
    "structure": Kind(Facility, FacilityForm, gettext_lazy("Facility")),
    "type": Kind(ActivityType, ActivityTypeForm, gettext_lazy("Activity type")),
    "activite": Kind(Activity, ActivityForm, gettext_lazy("Activity")),
    "fermeture": Kind(Closure, ClosureForm, gettext_lazy("Closure")),
    "periode": Kind(Period, PeriodForm, gettext_lazy("Period"), nested=True),
    "unite": Kind(Unit, UnitForm, gettext_lazy("Unit"), nested=True, places=True),
    "exception": Kind(DayOverride, DayOverrideForm, gettext_lazy("Opening exception"), nested=True),
    "capacite": Kind(
        CapacityOverride,
        CapacityOverrideForm,
        gettext_lazy("Capacity of a day"),
        nested=True,
        places=True,
    ),
    "tranche": Kind(
        AgeGroupCapacity, AgeGroupForm, gettext_lazy("Age group"), nested=True, places=True
    ),
}


@require_permission(Permission.MANAGE_ACTIVITIES)
def overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "backoffice/catalogue.html",
        {
            "facilities": Facility.objects.select_related("school"),
            "activities": activity_list(),
            "types": ActivityType.objects.all(),
            "closures": closures_to_come(timezone.localdate()),
        },
    )


@require_permission(Permission.MANAGE_ACTIVITIES)
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(activity_list(), pk=pk)
    year, month = month_param(request.GET.get("mois", ""))
    return render(
        request,
        "backoffice/activity.html",
        {
            "activity": activity,
            "units": activity.units.prefetch_related("exclusive_with", "requires", "age_groups"),
            "overrides": activity.day_overrides.all(),
            "capacity_overrides": CapacityOverride.objects.filter(
                unit__activity=activity
            ).select_related("unit"),
            "month": activity_opening_month(activity, request.organisation, year, month),
            "closures": closures_to_come(timezone.localdate(), activity),
        },
    )


def _kind(kind: str, activity_pk: int | None) -> Kind:
    spec = KINDS.get(kind)
    if spec is None or spec.nested != (activity_pk is not None):
        raise Http404
    return spec


def _back(request, activity: Activity | None):
    if activity is not None:
        return redirect(org_reverse(request.organisation, "backoffice:activity", pk=activity.pk))
    return redirect(org_reverse(request.organisation, "backoffice:catalogue"))


@require_permission(Permission.MANAGE_ACTIVITIES)
def edit(
    request: HttpRequest, kind: str, pk: int | None = None, activity_pk: int | None = None
) -> HttpResponse:
    spec = _kind(kind, activity_pk)
    activity = get_object_or_404(Activity, pk=activity_pk) if activity_pk else None
    instance = (
        get_object_or_404(spec.model, pk=pk)
        if pk
        else spec.model(organisation=request.organisation)
    )
    if activity is not None:
        if pk and _activity_of(instance) != activity.pk:
            raise Http404
        if hasattr(instance, "activity_id") and not pk:
            instance.activity = activity  # type: ignore[attr-defined]
    initial = {}
    if kind == "fermeture" and not pk and request.GET.get("activity", "").isdigit():
        initial["activity"] = int(request.GET["activity"])  # "Close this activity on some days"
    form = spec.form(request.POST or None, instance=instance, initial=initial)
    if activity is not None and "unit" in form.fields:
        form.fields["unit"].queryset = activity.units.all()  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            (places_save if spec.places else catalogue_save)(
                actor=request.user,
                instance=form.instance,
                many=form.many() if isinstance(form, UnitForm) else None,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved."))
            if kind == "activite" and not pk:
                return redirect(
                    org_reverse(request.organisation, "backoffice:activity", pk=form.instance.pk)
                )
            return _back(request, activity)
    return render(
        request,
        "backoffice/catalogue_form.html",
        {
            "form": form,
            "label": spec.label,
            "activity": activity,
            "editing": bool(pk),
            "kind": kind,
            "instance": instance,
        },
    )


def _activity_of(instance) -> int | None:
    if hasattr(instance, "unit_id"):
        return instance.unit.activity_id
    return getattr(instance, "activity_id", None)


@require_POST
@require_permission(Permission.MANAGE_ACTIVITIES)
def delete(
    request: HttpRequest, kind: str, pk: int, activity_pk: int | None = None
) -> HttpResponse:
    spec = _kind(kind, activity_pk)
    activity = get_object_or_404(Activity, pk=activity_pk) if activity_pk else None
    instance = get_object_or_404(spec.model, pk=pk)
    if activity is not None and _activity_of(instance) != activity.pk:
        raise Http404
    try:
        (places_delete if spec.places else catalogue_delete)(actor=request.user, instance=instance)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Deleted."))
    return _back(request, activity)
