from functools import cache

from django.http import HttpRequest

from perisco.portal.navigation import family_menu as _family_menu


def family_menu(request: HttpRequest) -> dict:
    # Built once (the phone and the wide menu share it), and only when the family
    # layout shows its menu.
    return {"family_menu": cache(lambda: _family_menu(request))}
