from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from perisco.core.errors import InvalidRequest


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400: says why when the code that refused knows (`InvalidRequest`)."""
    message = exception.message if isinstance(exception, InvalidRequest) else None
    return render(request, "400.html", {"message": message}, status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)
