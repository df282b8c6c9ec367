from django.http import HttpRequest

from perisco.portal.navigation import family_menu as _family_menu


def family_menu(request: HttpRequest) -> dict:
    # Called by the template only when the family layout shows its menu.
    return {"family_menu": lambda: _family_menu(request)}
