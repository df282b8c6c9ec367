"""The attendance sheet's rows in one tag: a 200-child canteen is 200 cards, and a
template loop per card costs far more than the card (bench/attendance.py)."""

import uuid

from django import template
from django.middleware.csrf import get_token
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from perisco.bookings.selectors import SheetView
from perisco.core.templatetags.perisco import icon

register = template.Library()


def _texts() -> dict[str, str]:
    return {
        "present": _("Present"),
        "absent": _("Absent"),
        "not_marked": _("Not marked"),
        "unbooked": _("Without booking"),
        "allergies": _("Allergies"),
        "pai": _("Care plan (PAI)"),
        "diet": _("Diet"),
        "pick_up": _("Who may pick the child up"),
        "guardians": _("The guardians only"),
        "alone": _("May go home alone."),
        "times": _("Times (childcare billed by the half-hour)"),
        "arrival": _("Arrival"),
        "departure": _("Departure"),
        "correct": _("Correct this day"),
        "outcome": _("Outcome"),
        "why": _("Why"),
        "correct_button": _("Correct"),
    }


@register.simple_tag(takes_context=True)
def attendance_rows(context, view: SheetView, can_correct: bool, outcomes, correct_url) -> str:
    """Every child's card: marks, alerts, who may pick up, and the buttons (or, on a
    closed day, a manager's correction). `correct_url` has "0" for the booking's id."""
    if not view.rows:
        return format_html("<li>{}</li>", _("No child is expected on this unit on this day."))
    t = {k: escape(v) for k, v in _texts().items()}
    csrf = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(context.request)
    )
    closed = bool(view.sheet and view.sheet.closed)
    icons = {n: icon(n) for n in ("check", "x", "triangle-alert", "shield-plus", "footprints")}
    return mark_safe(  # noqa: S308 (each part escaped in _row)
        "".join(
            _row(row, t, csrf, closed, can_correct, outcomes, correct_url, icons)
            for row in view.rows
        )
    )


def _row(row, t, csrf, closed, can_correct, outcomes, correct_url, icons) -> str:
    child, booking, mark = row.child, row.booking, row.mark
    name = escape(f"{child.first_name} {child.last_name}")
    pk = child.pk
    parts = [
        f'<li class="card care-card attendance-row" data-child="{pk}" data-expected="'
        f'{"1" if booking and not booking.outcome else ""}" data-status="{escape(row.status)}">'
        f"<h2>{name}</h2>"
    ]
    if child.school:
        school = escape(child.school.name)
        if child.school_class:
            school += " · " + escape(child.school_class)
        parts.append(f'<p class="muted">{school}</p>')
    parts.append('<p class="attendance-state" aria-live="polite">')
    if booking and booking.outcome:
        parts.append(f'<span class="badge">{escape(booking.outcome_label)}</span>')
    elif row.status == "present":
        parts.append(f'<span class="badge badge--ok">{icons["check"]}{t["present"]}</span>')
    elif row.status == "absent":
        parts.append(f'<span class="badge badge--off">{icons["x"]}{t["absent"]}</span>')
    else:
        parts.append(f'<span class="badge badge--wait">{t["not_marked"]}</span>')
    if not booking:
        parts.append(f' <span class="badge badge--wait">{t["unbooked"]}</span>')
    if mark and mark.arrival:
        times = escape(_("arrived %(arrival)s") % {"arrival": f"{mark.arrival:%H:%M}"})
        if mark.departure:
            left = _("left %(departure)s") % {"departure": f"{mark.departure:%H:%M}"}
            times += ", " + escape(left)
        parts.append(f' <span class="muted">{times}</span>')
    parts.append("</p>")
    alerts = []
    if child.allergies:
        alerts.append(
            f'<strong class="alert-text">{icons["triangle-alert"]}{t["allergies"]} : '
            f"{escape(child.allergies)}</strong>"
        )
    if child.has_pai:
        details = f" – {escape(child.pai_details)}" if child.pai_details else ""
        alerts.append(
            f'<strong class="alert-text">{icons["shield-plus"]}{t["pai"]}{details}</strong>'
        )
    if child.diets:
        alerts.append(f"{t['diet']} : {escape(', '.join(child.diet_labels()))}")
    if alerts:
        parts.append("<p>" + "<br>".join(alerts) + "</p>")
    people = "".join(
        f"<li>{escape(p.first_name)} {escape(p.last_name)} ({escape(p.relationship)}) · "
        f'<a href="tel:{escape(p.phone.replace(" ", ""))}">{escape(p.phone)}</a></li>'
        for p in child.pick_up_contacts
    )
    parts.append(
        f"<details><summary>{t['pick_up']}</summary>"
        + (f'<ul class="plain-list">{people}</ul>' if people else f"<p>{t['guardians']}</p>")
        + (f"<p>{icons['footprints']}{t['alone']}</p>" if child.leave_alone else "")
        + "</details>"
    )
    if not closed:
        arrival = f"{mark.arrival:%H:%M}" if mark and mark.arrival else ""
        departure = f"{mark.departure:%H:%M}" if mark and mark.departure else ""
        hidden = f'<input type="hidden" name="enfant" value="{pk}">'
        parts.append(
            '<div class="attendance-marks">'
            f'<form method="post" data-mark>{csrf}<input type="hidden" name="id" '
            f'value="{uuid.uuid4()}">{hidden}<input type="hidden" name="statut" value="present">'
            f'<details class="attendance-times"><summary>{t["times"]}</summary>'
            f'<label for="arrivee-{pk}">{t["arrival"]}</label> <input type="time" '
            f'id="arrivee-{pk}" name="arrivee" value="{arrival}"> '
            f'<label for="depart-{pk}">{t["departure"]}</label> <input type="time" '
            f'id="depart-{pk}" name="depart" value="{departure}"></details>'
            f'<button type="submit" class="button">{icons["check"]}<span>{t["present"]}'
            f'<span class="visually-hidden"> : {name}</span></span></button></form>'
            f'<form method="post" data-mark>{csrf}<input type="hidden" name="id" '
            f'value="{uuid.uuid4()}">{hidden}<input type="hidden" name="statut" value="absent">'
            f'<button type="submit" class="button button--secondary">{icons["x"]}<span>'
            f'{t["absent"]}<span class="visually-hidden"> : {name}</span></span></button></form>'
            "</div>"
        )
    elif can_correct and booking:
        options = "".join(
            f'<option value="{escape(value)}"{" selected" if value == booking.outcome else ""}>'
            f"{escape(label)}</option>"
            for value, label in outcomes
        )
        bpk = booking.pk
        action = escape(correct_url.replace("/0/", f"/{bpk}/"))
        parts.append(
            f"<details><summary>{t['correct']}</summary>"
            f'<form method="post" action="{action}" class="form">{csrf}'
            f'<div class="field"><label for="resultat-{bpk}">{t["outcome"]}</label>'
            f'<select id="resultat-{bpk}" name="resultat">{options}</select></div>'
            f'<div class="field"><label for="motif-{bpk}">{t["why"]}</label>'
            f'<input type="text" id="motif-{bpk}" name="motif" maxlength="200" required></div>'
            f'<button type="submit" class="button button--secondary">{t["correct_button"]}'
            "</button></form></details>"
        )
    parts.append("</li>")
    return "".join(parts)
