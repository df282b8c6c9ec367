"""The printable child sheet ("fiche enfant"), simple or complete, as a PDF."""

import base64

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import override
from weasyprint import HTML

from perisco.families.models import Child, Guardian


def child_sheet_pdf(child: Child, *, complete: bool) -> bytes:
    """Always in French: it is printed for the facility's staff."""
    guardians = Guardian.objects.filter(family__in=child.families.all()).select_related("family")
    photo = None
    if child.photo is not None:
        with child.photo.file.open("rb") as handle:
            encoded = base64.b64encode(handle.read()).decode()
        photo = f"data:{child.photo.content_type};base64,{encoded}"
    with override("fr"):
        html = render_to_string(
            "families/child_sheet.html",
            {
                "child": child,
                "complete": complete,
                "guardians": guardians,
                "contacts": child.contacts.all(),
                "photo": photo,
                "organisation": child.organisation,
                "today": timezone.localdate(),
                "age": child.age_on(timezone.localdate()),
            },
        )
    return HTML(string=html).write_pdf()


def child_sheet_response(child: Child, *, complete: bool) -> HttpResponse:
    version = "complete" if complete else "simple"
    response = HttpResponse(
        child_sheet_pdf(child, complete=complete), content_type="application/pdf"
    )
    name = slugify(f"fiche-{child.first_name}-{child.last_name}-{version}")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response
