"""Writes on the catalogue and on enrollments."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from perisco.accounts.models import User
from perisco.activities.models import (
    WEEKDAYS,
    Enrollment,
    EnrollmentStatus,
    Period,
    Unit,
)
from perisco.core.audit import audit_log
from perisco.core.decisions import record_decision
from perisco.core.errors import DomainError
from perisco.families.models import Child, Family, for_sex
from perisco.families.services import family_email


def _clean(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        labels = {f.name: str(f.verbose_name) for f in instance._meta.fields}
        messages = [
            f"{labels.get(name, '').capitalize()} : {' '.join(errs)}"
            if name in labels
            else " ".join(errs)
            for name, errs in error.message_dict.items()
        ]
        raise DomainError(" ".join(messages)) from error


@transaction.atomic
def catalogue_save(
    *, actor: User, instance: models.Model, many: dict[str, list[Any]] | None = None
) -> models.Model:
    """Save a facility, type, activity, unit, closure or opening exception after the
    model's checks; `many` sets many-to-many links (a unit's exclusivity, dependency)."""
    _clean(instance)
    if isinstance(instance, Period):
        _check_period_overlap(instance)
    # Units of other activities may be linked: "Accueil soir" and "Accueil soir + étude"
    # are two services in seed 000.
    if isinstance(instance, Unit) and many:
        if instance.pk and instance.pk in {u.pk for u in many.get("requires", [])}:
            raise DomainError(_("A unit cannot require itself."))
        if set(many.get("requires", [])) & set(many.get("exclusive_with", [])):
            raise DomainError(_("A unit cannot both require and exclude the same unit."))
    created = instance.pk is None
    instance.save()
    for name, values in (many or {}).items():
        getattr(instance, name).set(values)
    audit_log(
        organisation=instance.organisation,  # type: ignore[attr-defined]
        actor=actor,
        action="catalogue.created" if created else "catalogue.changed",
        target=instance,
        data={"model": instance._meta.model_name},
    )
    return instance


def _check_period_overlap(period: Period) -> None:
    overlapping = Period.objects.filter(
        activity=period.activity, start__lte=period.end, end__gte=period.start
    ).exclude(pk=period.pk)
    other = overlapping.first()
    if other is not None:
        raise DomainError(
            _(
                "This period overlaps “%(other)s” (%(start)s – %(end)s) of the same activity; "
                "change its dates."
            )
            % {
                "other": other.name,
                "start": other.start.strftime("%d/%m/%Y"),
                "end": other.end.strftime("%d/%m/%Y"),
            }
        )


@transaction.atomic
def catalogue_delete(*, actor: User, instance: models.Model) -> None:
    try:
        with transaction.atomic():
            instance.delete()
    except models.ProtectedError as error:
        raise DomainError(
            _("It cannot be deleted: enrollments or other records still use it.")
        ) from error
    audit_log(
        organisation=instance.organisation,  # type: ignore[attr-defined]
        actor=actor,
        action="catalogue.deleted",
        data={"object": str(instance)},
    )


# --- Enrollments ---------------------------------------------------------------------


def _check_enrollment(
    child: Child,
    period: Period,
    start: date,
    end: date,
    typical_week: dict[int, list[int]],
) -> None:
    activity = period.activity
    if not activity.is_active:
        raise DomainError(_("This activity is not open for enrollment."))
    _check_school(child, activity)
    if end < start:
        raise DomainError(_("The last day cannot precede the first day."))
    if start < period.start or end > period.end:
        raise DomainError(
            _("The dates must be within the period (%(start)s – %(end)s).")
            % {"start": period.start.strftime("%d/%m/%Y"), "end": period.end.strftime("%d/%m/%Y")}
        )
    age = child.age_on(start)
    if activity.min_age is not None and age < activity.min_age:
        raise DomainError(
            _("%(name)s is too young for %(activity)s (from %(age)s years old).")
            % {"name": child.first_name, "activity": activity.name, "age": activity.min_age}
        )
    if activity.max_age is not None and age > activity.max_age:
        raise DomainError(
            for_sex(
                child.sex,
                girl=pgettext(
                    "girl", "%(name)s is too old for %(activity)s (up to %(age)s years old)."
                ),
                boy=pgettext(
                    "boy", "%(name)s is too old for %(activity)s (up to %(age)s years old)."
                ),
                unknown=_("%(name)s is too old for %(activity)s (up to %(age)s years old)."),
            )
            % {"name": child.first_name, "activity": activity.name, "age": activity.max_age}
        )
    already = Enrollment.objects.filter(
        child=child,
        activity=activity,
        start__lte=end,
        end__gte=start,
        status__in=(EnrollmentStatus.PENDING, EnrollmentStatus.VALIDATED),
    )
    if already.exists():
        raise DomainError(
            for_sex(
                child.sex,
                girl=pgettext(
                    "girl", "%(name)s is already enrolled in %(activity)s for these dates."
                ),
                boy=pgettext(
                    "boy", "%(name)s is already enrolled in %(activity)s for these dates."
                ),
                unknown=_("%(name)s is already enrolled in %(activity)s for these dates."),
            )
            % {"name": child.first_name, "activity": activity.name}
        )
    units = {u.pk: u for u in activity.units.prefetch_related("exclusive_with")}
    day_names = {d: str(label) for d, label in WEEKDAYS}
    for weekday, unit_ids in typical_week.items():
        if weekday not in period.weekdays:
            raise DomainError(
                _("%(activity)s is closed on %(day)s: untick that day.")
                % {"activity": activity.name, "day": day_names[weekday]}
            )
        for unit_id in unit_ids:
            if unit_id not in units:
                raise DomainError(_("Choose units of this activity."))
            clash = {u.pk for u in units[unit_id].exclusive_with.all()} & set(unit_ids)
            if clash:
                raise DomainError(
                    _("“%(a)s” and “%(b)s” cannot be booked the same day (%(day)s).")
                    % {
                        "a": units[unit_id].name,
                        "b": units[clash.pop()].name,
                        "day": day_names[weekday],
                    }
                )


def _check_school(child: Child, activity) -> None:
    """A school's after-school care, canteen… is for that school's pupils only; a facility
    with no school (a leisure centre) takes every child."""
    school = activity.facility.school
    if school is None or child.school_id == school.pk:
        return
    raise DomainError(
        _(
            "%(activity)s is for the pupils of %(school)s, and %(name)s's file gives another "
            "school: correct the school in the file first if it has changed."
        )
        % {"activity": activity.name, "school": school.name, "name": child.first_name}
    )


def _typical_week_json(typical_week: dict[int, list[int]]) -> dict[str, list[int]]:
    return {str(day): sorted(units) for day, units in sorted(typical_week.items()) if units}


@transaction.atomic
def enrollment_request(
    *,
    actor: User,
    family: Family,
    child: Child,
    period: Period,
    start: date | None = None,
    end: date | None = None,
    typical_week: dict[int, list[int]] | None = None,
    by_staff: bool = False,
    notify: bool = True,
) -> Enrollment:
    """A family asks (pending until staff decide); staff enroll directly (validated).
    `notify=False`: the caller sends the e-mail (with what it booked) through
    `enrollment_notify`."""
    start, end = start or period.start, end or period.end
    typical_week = typical_week or {}
    # Lock the child's row so two requests for the same activity cannot both pass.
    Child.objects.select_for_update().filter(pk=child.pk).first()
    _check_enrollment(child, period, start, end, typical_week)
    enrollment = Enrollment.objects.create(
        organisation=family.organisation,
        child=child,
        family=family,
        activity=period.activity,
        period=period,
        start=start,
        end=end,
        typical_week=_typical_week_json(typical_week),
        status=EnrollmentStatus.VALIDATED if by_staff else EnrollmentStatus.PENDING,
        requested_by=actor,
        decided_by=actor if by_staff else None,
        decided_at=timezone.now() if by_staff else None,
    )
    audit_log(
        organisation=family.organisation,
        actor=actor,
        action="enrollment.created" if by_staff else "enrollment.requested",
        target=enrollment,
    )
    if notify:
        enrollment_notify(enrollment, "enrollment_validated" if by_staff else "enrollment_received")
    return enrollment


def _locked_pending(enrollment: Enrollment) -> Enrollment:
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status != EnrollmentStatus.PENDING:
        raise DomainError(_("This enrollment has already been decided by someone else."))
    return enrollment


@transaction.atomic
def enrollment_validate(*, actor: User, enrollment: Enrollment, notify: bool = True) -> Enrollment:
    enrollment = _locked_pending(enrollment)
    record_decision(
        enrollment, status=EnrollmentStatus.VALIDATED, actor=actor, action="enrollment.validated"
    )
    if notify:
        enrollment_notify(enrollment, "enrollment_validated")
    return enrollment


@transaction.atomic
def enrollment_refuse(*, actor: User, enrollment: Enrollment, reason: str) -> Enrollment:
    reason = reason.strip()
    if not reason:
        raise DomainError(
            _("Say why the enrollment is refused: the family will read it."), field="reason"
        )
    enrollment = _locked_pending(enrollment)
    record_decision(
        enrollment,
        status=EnrollmentStatus.REFUSED,
        actor=actor,
        action="enrollment.refused",
        reason=reason,
    )
    enrollment_notify(enrollment, "enrollment_refused")
    return enrollment


@transaction.atomic
def enrollment_withdraw(*, actor: User, enrollment: Enrollment) -> Enrollment:
    enrollment = _locked_pending(enrollment)
    record_decision(
        enrollment, status=EnrollmentStatus.CANCELLED, actor=actor, action="enrollment.withdrawn"
    )
    return enrollment


@dataclass
class BulkEnrollmentReport:
    enrolled: list[Enrollment] = field(default_factory=list)
    skipped: list[tuple[Child, str]] = field(default_factory=list)


def _first_family(child: Child) -> Family | None:
    return min(child.families.all(), key=lambda f: f.pk, default=None)


def enrollments_bulk_preview(*, period: Period, children: list[Child]) -> list[tuple[Child, str]]:
    """What `enrollments_bulk` would do, writing nothing: each child with the reason it
    would be left out ("" for those it would enroll), for staff to read before confirming."""
    return [(child, _bulk_problem(child, period)) for child in children]


def _bulk_problem(child: Child, period: Period) -> str:
    if _first_family(child) is None:
        return _("no family file")
    try:
        _check_enrollment(child, period, period.start, period.end, {})
    except DomainError as error:
        return str(error.message)
    return ""


def enrollments_bulk(
    *,
    actor: User,
    period: Period,
    children: list[Child],
    typical_week: dict[int, list[int]] | None = None,
    enroll: Callable[..., Enrollment] = enrollment_request,
) -> BulkEnrollmentReport:
    """Staff enroll a group (a whole class); each child on its own, those who cannot be
    enrolled are reported with the reason. `enroll` takes `enrollment_request`'s arguments:
    the bookings layer passes one that also books the typical week."""
    report = BulkEnrollmentReport()
    for child in children:
        family = _first_family(child)
        if family is None:
            report.skipped.append((child, _("no family file")))
            continue
        try:
            report.enrolled.append(
                enroll(
                    actor=actor,
                    family=family,
                    child=child,
                    period=period,
                    typical_week=typical_week,
                    by_staff=True,
                )
            )
        except DomainError as error:
            report.skipped.append((child, str(error.message)))
    return report


def enrollment_notify(enrollment: Enrollment, template: str, **context: Any) -> None:
    """E-mail the family about its enrollment; `context` adds to the template's (the
    bookings made with it, so that one action sends one e-mail)."""
    enrollment.family_emailed = family_email(
        family=enrollment.family, template=template, context={"enrollment": enrollment, **context}
    )
