"""Who a broadcast reaches: every active family, or those of a school, a class, a
facility or an activity (through their children), or those with an unpaid invoice."""

from dataclasses import dataclass
from datetime import date

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perisco.activities.models import Activity, Enrollment, EnrollmentStatus, Facility
from perisco.billing.models import Invoice
from perisco.core.models import School
from perisco.families.models import Child, Family, FamilyChild, FamilyStatus

AUDIENCE_KINDS = [
    ("all", gettext_lazy("Every family")),
    ("school", gettext_lazy("Families with a child at a school")),
    ("class", gettext_lazy("Families with a child in a class")),
    ("facility", gettext_lazy("Families with a child enrolled in a facility")),
    ("activity", gettext_lazy("Families with a child enrolled in an activity")),
    ("unpaid", gettext_lazy("Families with an unpaid invoice")),
]


@dataclass(frozen=True)
class Audience:
    kind: str
    target_id: int | None = None  # the school, facility or activity
    school_class: str = ""  # "CM2": with kind "class", in `target_id`'s school if given

    def as_data(self) -> dict:
        return {"kind": self.kind, "target_id": self.target_id, "class": self.school_class}

    def label(self) -> str:
        if self.kind == "school":
            return _("Families with a child at %(school)s") % {"school": _name(School, self)}
        if self.kind == "class":
            where = _(" at %(school)s") % {"school": _name(School, self)} if self.target_id else ""
            return _("Families with a child in class %(class)s%(where)s") % {
                "class": self.school_class,
                "where": where,
            }
        if self.kind == "facility":
            return _("Families with a child enrolled at %(facility)s") % {
                "facility": _name(Facility, self)
            }
        if self.kind == "activity":
            return _("Families with a child enrolled in %(activity)s") % {
                "activity": _name(Activity, self)
            }
        if self.kind == "unpaid":
            return _("Families with an unpaid invoice")
        return _("Every family")


def _name(model, audience: Audience) -> str:
    return str(model.objects.filter(pk=audience.target_id).values_list("name", flat=True).first())


def _families_of(children: QuerySet) -> QuerySet:
    return FamilyChild.objects.filter(child__in=children).values("family_id")


def _enrolled(today: date, **where) -> QuerySet:
    return Enrollment.objects.filter(
        status=EnrollmentStatus.VALIDATED, end__gte=today, **where
    ).values("child_id")


def audience_family_ids(audience: Audience, today: date | None = None) -> list[int]:
    """The active families `audience` reaches, in one query. Enrollments count until their
    last day; unknown targets (another organisation's school, say) reach nobody."""
    today = today or timezone.localdate()
    families = Family.objects.filter(status=FamilyStatus.ACTIVE)
    kind = audience.kind
    if kind == "school":
        families = families.filter(
            pk__in=_families_of(Child.objects.filter(school_id=audience.target_id))
        )
    elif kind == "class":
        if not audience.school_class.strip():
            return []
        children = Child.objects.filter(school_class__iexact=audience.school_class.strip())
        if audience.target_id:
            children = children.filter(school_id=audience.target_id)
        families = families.filter(pk__in=_families_of(children))
    elif kind == "facility":
        families = families.filter(
            pk__in=_families_of(_enrolled(today, activity__facility_id=audience.target_id))
        )
    elif kind == "activity":
        families = families.filter(
            pk__in=_families_of(_enrolled(today, activity_id=audience.target_id))
        )
    elif kind == "unpaid":
        families = families.filter(
            pk__in=Invoice.objects.filter(
                state=Invoice.State.ISSUED, settled__lt=F("total")
            ).values("family_id")
        )
    elif kind != "all":
        return []
    return list(families.order_by("pk").values_list("pk", flat=True))
