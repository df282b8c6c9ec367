from django.http import HttpRequest

from perisco.accounts.permissions import Abilities


def perisco(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "organisation": getattr(request, "organisation", None),
        "can": Abilities(user),
        "user_layout": _layout_for(user),
    }


def _layout_for(user) -> str:
    if user is None or not user.is_authenticated:
        return "layouts/public.html"
    if user.is_guardian:
        return "layouts/family.html"
    if user.is_platform_admin:
        return "layouts/platform.html"
    return "layouts/staff.html"
