from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from perisco.families.models import Child, Family, Guardian


def access_family(user) -> Family:
    """The family a guardian may see: their own, and no other."""
    guardian = Guardian.objects.select_related("family").filter(user=user).first()
    if guardian is None:
        raise PermissionDenied
    return guardian.family


def family_children(family: Family) -> QuerySet[Child]:
    return family.children.select_related("school").order_by("birth_date")


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
