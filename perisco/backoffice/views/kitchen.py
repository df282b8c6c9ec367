"""Staff: kitchen counts — meals per school, day and diet for a week (a page that also
prints), and the week or a month as CSV or XLSX. Counts come from
perisco.bookings.kitchen."""

import csv
import io
from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from perisco.accounts.permissions import Permission
from perisco.activities.selectors import days_between, month_bounds
from perisco.activities.templatetags.activities import when
from perisco.bookings.kitchen import MEAL_KINDS, KitchenDay, kitchen_counts
from perisco.web.access import require_permission
from perisco.web.params import month_param

# Weeks further than this from today are not shown: a count is planned, not archived.
WEEKS_AROUND = 60


def _week(request: HttpRequest) -> date:
    """The Monday of ?semaine= (any day of it), else of this week — next week at weekends,
    when the kitchen plans the coming days."""
    today = timezone.localdate()
    try:
        day = date.fromisoformat(request.GET.get("semaine", ""))
    except ValueError:
        day = today + timedelta(days=2) if today.weekday() >= 5 else today
    if abs((day - today).days) > WEEKS_AROUND * 7:
        day = today
    return day - timedelta(days=day.weekday())


@require_permission(Permission.VIEW_KITCHEN_COUNTS)
def counts(request: HttpRequest) -> HttpResponse:
    monday = _week(request)
    sunday = monday + timedelta(days=6)
    found = {d.day: d for d in kitchen_counts(monday, sunday, now=timezone.now())}
    # Monday to Friday always (a day without meals says so); the weekend when it has some.
    days = [
        (day, found.get(day))
        for day in days_between(monday, sunday)
        if day.weekday() < 5 or day in found
    ]
    return render(
        request,
        "backoffice/kitchen.html",
        {
            "monday": monday,
            "sunday": sunday,
            "days": days,
            "kinds": [label for _key, label in MEAL_KINDS],
            "previous": monday - timedelta(days=7),
            "following": monday + timedelta(days=7),
            "this_week": _week_of_today(),
            "month": monday.strftime("%Y-%m"),
        },
    )


def _week_of_today() -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


def _safe(value: str) -> str:
    """A name a spreadsheet would run as a formula ("=HYPERLINK(…)") kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _rows(days: list[KitchenDay]) -> list[list]:
    header = [
        _("Date"),
        _("School or facility"),
        _("Status"),
        *[str(label) for _key, label in MEAL_KINDS],
        _("Total"),
        _("Meals to cook"),
        _("Requests awaiting a decision"),
    ]
    rows: list[list] = [header]
    for kitchen_day in days:
        for site in kitchen_day.sites:
            status = _("Final") if site.final else _("Provisional until %s") % when(site.deadline)
            rows.append(
                [
                    kitchen_day.day,
                    site.name,
                    status,
                    *site.meals.values,
                    site.meals.total,
                    site.meals.to_cook,
                    site.meals.requested,
                ]
            )
    return rows


@require_permission(Permission.VIEW_KITCHEN_COUNTS)
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The week of ?semaine=, or the month of ?mois= (2026-12)."""
    if "mois" in request.GET:
        start, end = month_bounds(*month_param(request.GET["mois"]))
        name = f"effectifs-repas-{start:%Y-%m}"
    else:
        start = _week(request)
        end = start + timedelta(days=6)
        name = f"effectifs-repas-semaine-{start:%Y-%m-%d}"
    rows = _rows(kitchen_counts(start, end, now=timezone.now()))
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        # The BOM and semicolons are what a French spreadsheet opens without asking.
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";")
        for row in rows:
            writer.writerow(
                [
                    date_format(v, "SHORT_DATE_FORMAT")
                    if isinstance(v, date)
                    else _safe(v)
                    if isinstance(v, str)
                    else v
                    for v in row
                ]
            )
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("Meals")
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the name says
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for cell in sheet["A"][1:]:
            cell.number_format = "DD/MM/YYYY"
        sheet.freeze_panes = "A2"
        for column, width in zip(
            "ABCDEFGHIJK", (12, 32, 36, 10, 10, 12, 12, 18, 8, 14, 14), strict=True
        ):
            sheet.column_dimensions[column].width = width
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
