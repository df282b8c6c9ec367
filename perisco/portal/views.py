from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from perisco.accounts.permissions import Permission
from perisco.families.selectors import access_family, family_children
from perisco.web.access import require_permission


@require_permission(Permission.USE_PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    today = timezone.localdate()
    children = [(child, child.age_on(today)) for child in family_children(family)]
    return render(
        request,
        "portal/home.html",
        {
            "family": family,
            "guardians": family.guardians.select_related("user"),
            "children": children,
            "today": today,
        },
    )
