"""Staff: billing runs — ask for a month's drafts, follow their preparation, review them
(leave a family out, draft it again once its file is fixed), issue or discard. Rules live
in perisco.billing.runs."""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.activities.models import Activity
from perisco.billing.models import BillingRun, Invoice
from perisco.billing.runs import (
    invoice_exclude,
    invoice_redraft,
    run_create,
    run_discard,
    run_issue_ask,
)
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.families.forms import DateInput
from perisco.families.models import Family
from perisco.web.access import require_permission

PAGE_SIZE = 200


class RunForm(forms.Form):
    month = forms.DateField(
        label=gettext_lazy("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=gettext_lazy("Usually the month that just ended."),
    )
    activities = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Activities"),
        queryset=Activity.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activities"].queryset = Activity.objects.order_by("name")


class IssueForm(forms.Form):
    issue_date = forms.DateField(label=gettext_lazy("Issue date"), widget=DateInput())


def _last_month() -> date:
    first = timezone.localdate().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


@require_permission(Permission.MANAGE_BILLING)
def runs(request: HttpRequest) -> HttpResponse:
    form = RunForm(
        request.POST or None,
        initial={"month": _last_month(), "activities": Activity.objects.all()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = run_create(
                actor=request.user,
                month=form.cleaned_data["month"],
                activities=list(form.cleaned_data["activities"]),
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect(org_reverse(request.organisation, "backoffice:billing_run", pk=run.pk))
    listed = BillingRun.objects.annotate(
        families=Count("invoices"), amount=Sum("invoices__total")
    ).order_by("-month", "-created_at")[:60]
    return render(request, "backoffice/billing_runs.html", {"form": form, "runs": listed})


@require_permission(Permission.MANAGE_BILLING)
def run(request: HttpRequest, pk: int) -> HttpResponse:
    billing_run = get_object_or_404(BillingRun, pk=pk)
    invoices = Invoice.objects.filter(run=billing_run).order_by("family__name", "pk")
    totals = invoices.aggregate(count=Count("pk"), amount=Sum("total"))
    excluded = Family.objects.filter(pk__in=billing_run.summary.get("excluded", [])).order_by(
        "name"
    )
    context = {
        "run": billing_run,
        "activities": billing_run.activities.order_by("name"),
        "invoices": invoices.select_related("family").annotate(lines_count=Count("lines"))[
            :PAGE_SIZE
        ],
        "totals": totals,
        "excluded": excluded,
        "issue_form": IssueForm(initial={"issue_date": timezone.localdate()}),
        "working": billing_run.state in (BillingRun.State.DRAFTING, BillingRun.State.ISSUING),
    }
    if request.htmx:
        return render(request, "backoffice/billing_run.html#progress", context)
    return render(request, "backoffice/billing_run.html", context)


def _back(request, billing_run) -> HttpResponse:
    return redirect(org_reverse(request.organisation, "backoffice:billing_run", pk=billing_run.pk))


@require_POST
@require_permission(Permission.MANAGE_BILLING)
def run_issue(request: HttpRequest, pk: int) -> HttpResponse:
    billing_run = get_object_or_404(BillingRun, pk=pk)
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the issue date."))
        return _back(request, billing_run)
    try:
        run_issue_ask(
            actor=request.user, run=billing_run, issue_date=form.cleaned_data["issue_date"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The invoices are being numbered and issued."))
    return _back(request, billing_run)


@require_POST
@require_permission(Permission.MANAGE_BILLING)
def run_discard_view(request: HttpRequest, pk: int) -> HttpResponse:
    billing_run = get_object_or_404(BillingRun, pk=pk)
    try:
        run_discard(actor=request.user, run=billing_run)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The run is discarded: its days can be billed again."))
    return _back(request, billing_run)


@require_POST
@require_permission(Permission.MANAGE_BILLING)
def run_family(request: HttpRequest, pk: int, family_pk: int) -> HttpResponse:
    """Leave a family out of the run, or draft it again."""
    billing_run = get_object_or_404(BillingRun, pk=pk)
    family = get_object_or_404(Family, pk=family_pk)
    try:
        if request.POST.get("action") == "exclude":
            invoice = get_object_or_404(
                Invoice, run=billing_run, family=family, state=Invoice.State.DRAFT
            )
            invoice_exclude(actor=request.user, invoice=invoice)
            messages.success(request, _("%(family)s is left out of this run.") % {"family": family})
        else:
            invoice_redraft(actor=request.user, run=billing_run, family=family)
            messages.success(request, _("%(family)s is drafted again.") % {"family": family})
    except DomainError as error:
        messages.error(request, error.message)
    return _back(request, billing_run)
