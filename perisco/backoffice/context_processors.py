from django.http import HttpRequest

from perisco.backoffice.navigation import staff_menu as _staff_menu


def staff_menu(request: HttpRequest) -> dict:
    # Called by the template only when the staff layout shows its menu.
    return {"staff_menu": lambda: _staff_menu(request)}
