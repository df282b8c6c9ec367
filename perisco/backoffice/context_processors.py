from functools import cache

from django.http import HttpRequest

from perisco.backoffice.navigation import staff_menu as _staff_menu


def staff_menu(request: HttpRequest) -> dict:
    # Built once (the phone and the wide menu share it), and only when the staff
    # layout shows its menu.
    return {"staff_menu": cache(lambda: _staff_menu(request))}
