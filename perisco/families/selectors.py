from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from perisco.accounts.permissions import Permission, has_permission
from perisco.core.models import Organisation
from perisco.families.kinds import SPECS, display, field_label
from perisco.families.models import (
    ChangeRequest,
    Child,
    ChildContact,
    Document,
    Family,
    FamilyChild,
    FamilyStatus,
    Guardian,
    RequestKind,
    RequestKindSetting,
    RequestStatus,
)
from perisco.families.search import search_normalise, search_terms


def access_guardian(user) -> Guardian:
    """The signed-in user's own guardian record (a guardian of this organisation), else
    403."""
    try:
        guardian = user.guardian  # with the signed-in user (accounts.backends)
    except Guardian.DoesNotExist:
        raise PermissionDenied from None
    if guardian.organisation_id != user.organisation_id:
        raise PermissionDenied
    return guardian


def access_family(user) -> Family:
    """The family a guardian may see: their own, and no other."""
    family = access_guardian(user).family
    if family.organisation_id == user.organisation_id:
        family.organisation = user.organisation  # loaded with the user: no query, no join
    return family


def access_child(family: Family, child_id: int) -> Child:
    """A child of this family; another family's child is a 404, whatever the URL says."""
    child = family.children.filter(pk=child_id).select_related("school", "photo").first()
    if child is None:
        raise Http404
    return child


def family_children(family: Family) -> QuerySet[Child]:
    return family.children.select_related("school", "photo").order_by("birth_date")


def child_care_list(
    *,
    school_id: int | None = None,
    search: str = "",
    ids: Iterable[int] | QuerySet | None = None,
) -> QuerySet[Child]:
    """The children a facility looks after (their family's file is active), with what the
    agents who look after them need: school and class, allergies, PAI, diets, and the persons
    who may pick them up (`pick_up_contacts`). Nothing else of the family is loaded.

    Agents are not attached to a facility yet: every child of the organisation is listed,
    and the page filters by school."""
    active_file = FamilyChild.objects.filter(
        child=OuterRef("pk"), family__status=FamilyStatus.ACTIVE
    )
    children = (
        Child.objects.filter(Exists(active_file))
        .select_related("school")
        .only(
            "first_name",
            "last_name",
            "birth_date",
            "school__name",
            "school_class",
            "allergies",
            "has_pai",
            "pai_details",
            "diets",
            "leave_alone",
        )
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=ChildContact.objects.filter(can_pick_up=True).only(
                    "child_id", "first_name", "last_name", "relationship", "phone"
                ),
                to_attr="pick_up_contacts",
            )
        )
        .order_by("last_name", "first_name", "pk")
    )
    if school_id:
        children = children.filter(school_id=school_id)
    if ids is not None:
        # A queryset stays a subquery: no list of ids sent back to the database.
        children = children.filter(pk__in=ids if isinstance(ids, QuerySet) else list(ids))
    for term in search.split():
        children = children.filter(Q(first_name__icontains=term) | Q(last_name__icontains=term))
    return children


def child_care_cards(ids: QuerySet) -> list[Child]:
    """`child_care_list` of the children `ids` selects (an attendance sheet's): their
    pick-up contacts are read by the same subquery rather than by a list of ids, as a
    prefetch would (a 200-child canteen: one parameter instead of 200)."""
    children = list(child_care_list(ids=ids).prefetch_related(None))
    contacts: dict[int, list[ChildContact]] = {child.pk: [] for child in children}
    for contact in ChildContact.objects.filter(can_pick_up=True, child__in=ids).only(
        "child_id", "first_name", "last_name", "relationship", "phone"
    ):
        contacts.setdefault(contact.child_id, []).append(contact)
    for child in children:
        child.pick_up_contacts = contacts[child.pk]  # type: ignore[attr-defined]
    return children


def guardian_list(*, search: str = "") -> QuerySet[Guardian]:
    """Guardians with their family and login, filtered by every word of `search`."""
    guardians = Guardian.objects.select_related("family", "user").order_by(
        "last_name", "first_name", "pk"
    )
    for term in search.split():
        guardians = guardians.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(email__icontains=term)
            | Q(family__number__icontains=term)
        )
    return guardians


def family_list(*, search: str = "", status: str = "") -> QuerySet[Family]:
    """Families matching every word of `search`, accents and case ignored, in their name or
    number, a guardian's name or e-mail, or a child's name.

    Each word is looked up in the family's own search text (`families.search`), indexed
    on PostgreSQL: no join, whatever the number of words."""
    # The children are counted for the page shown only (a prefetch), not for every family
    # the search matches before the page is cut.
    families = Family.objects.defer("search_text").prefetch_related(
        Prefetch("guardians", queryset=Guardian.objects.order_by("rank")),
        Prefetch("children", queryset=Child.objects.only("pk")),
    )
    if status:
        families = families.filter(status=status)
    for term in search_terms(search):
        families = families.filter(search_text__contains=term)
    return families.order_by("name", "number")


def family_for_staff(family_id: int) -> Family:
    family = (
        Family.objects.filter(pk=family_id)
        .prefetch_related(
            Prefetch("guardians", queryset=Guardian.objects.select_related("user")),
            "quotients__attestation",
        )
        .first()
    )
    if family is None:
        raise Http404
    return family


def access_document(user, organisation, document_uuid) -> Document:
    """A document a user may open: their family's (or a child's of their family), a
    published one, or any for staff who read family files. Anything else is a 404."""
    document = Document.objects.filter(uuid=document_uuid).first()
    if document is None:
        raise Http404
    if document.is_published:
        if document.is_public or (
            user.is_authenticated and user.organisation_id == organisation.pk
        ):
            return document
        raise Http404
    if not user.is_authenticated:
        raise Http404
    if has_permission(user, Permission.VIEW_FAMILIES):
        return document
    if has_permission(user, Permission.USE_PORTAL):
        family = Guardian.objects.filter(user=user).values_list("family", flat=True).first()
        if document.family_id == family:
            return document
        if (
            document.child_id
            and Child.objects.filter(pk=document.child_id, families=family).exists()
        ):
            return document
        if Child.objects.filter(photo=document, families=family).exists():
            return document
    raise Http404


# --- Requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str
    after: str


def change_lines(request: ChangeRequest, *, reveal: bool = False) -> list[ChangeLine]:
    """Each proposed change as people read it: label, before, after."""
    spec = SPECS[request.kind]
    if request.kind == "registration":
        return []
    return [
        ChangeLine(
            field_label(spec, name),
            display(spec, name, change["before"], reveal=reveal),
            display(spec, name, change["after"], reveal=reveal),
        )
        for name, change in request.changes.items()
    ]


def kind_is_auto_accepted(organisation: Organisation, kind: str) -> bool:
    """Whether the organisation applies requests of this kind at once, without a look (a
    registration is always looked at)."""
    return (
        kind != RequestKind.REGISTRATION
        and RequestKindSetting.objects.filter(
            organisation=organisation, kind=kind, auto_accept=True
        ).exists()
    )


def family_requests(
    family: Family, *, kind: str = "", everything: bool = False
) -> QuerySet[ChangeRequest]:
    """ "Mes demandes": the last month by default (seed 001), everything on demand."""
    requests = (
        ChangeRequest.objects.filter(family=family)
        .select_related("child", "superseded_by")
        .prefetch_related("supersedes", "documents")
    )
    if kind:
        requests = requests.filter(kind=kind)
    if not everything:
        requests = requests.filter(created_at__gte=requests_window_start())
    return requests


# "Mes demandes" shows the last month by default (seeds 001, 002).
REQUESTS_WINDOW = timedelta(days=31)


def requests_window_start():
    """From when "Mes demandes" lists a family's requests (change requests and enrollment
    requests alike) unless the family asks for everything."""
    return timezone.now() - REQUESTS_WINDOW


def request_queue(*, kind: str = "", status: str = RequestStatus.PENDING, search: str = ""):
    requests = ChangeRequest.objects.select_related(
        "family", "child", "created_by", "superseded_by"
    ).order_by("created_at", "pk")
    if status:
        requests = requests.filter(status=status)
    if kind:
        requests = requests.filter(kind=kind)
    for term in search.split():
        requests = requests.filter(
            Q(family__name__icontains=term)
            | Q(family__number__icontains=term)
            | Q(child__first_name__icontains=term)
        )
    # Registrations whose address is not confirmed yet are not for staff.
    return requests.exclude(family__status=FamilyStatus.UNVERIFIED)


def pending_kinds(family: Family) -> dict[tuple[str, Any], ChangeRequest]:
    """Pending requests by (kind, child id), to show "request pending" next to a section."""
    return {
        (r.kind, r.child_id): r
        for r in ChangeRequest.objects.filter(family=family, status=RequestStatus.PENDING)
    }


def guardian_is_resident(organisation, guardian: Guardian | None) -> bool:
    """Whether a guardian lives in the organisation's town: by the town's name (a city has
    several postal codes), by postal code when the organisation gave no town name."""
    if guardian is None:
        return False
    town, postal_code = (
        search_normalise(organisation.city).strip(),
        organisation.postal_code.strip(),
    )
    if town:
        return search_normalise(guardian.city).strip() == town
    return bool(postal_code) and guardian.postal_code.strip() == postal_code


def family_is_resident(family: Family) -> bool:
    """The first guardian decides (the household's address)."""
    first = family.guardians.order_by("rank", "pk").first()
    return guardian_is_resident(family.organisation, first)
