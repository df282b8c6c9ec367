"""Staff: SEPA direct-debit files (finance) — made from a preview, downloaded for the bank,
marked debited, and the bank's rejections recorded. Rules live in perisco.billing.sepa."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from perisco.accounts.permissions import Permission
from perisco.backoffice.forms import DebitBatchForm, DebitRejectForm
from perisco.billing.models import DirectDebitBatch, Payment
from perisco.billing.sepa import (
    collection_date_problem,
    creditor_problems,
    debit_batch_create,
    debit_batch_mark_debited,
    debit_plan,
    debit_reject,
    earliest_collection_date,
)
from perisco.core.errors import DomainError
from perisco.core.urls import org_reverse
from perisco.web.access import require_permission

BATCHES_PER_PAGE = 20
PAYMENTS_PER_PAGE = 50


def _euros(amount) -> str:
    return number_format(amount, 2, force_grouping=True)


@require_permission(Permission.MANAGE_BILLING)
def debits(request: HttpRequest) -> HttpResponse:
    """The files made so far, and a new one: a collection date, what it would debit, then
    the file made once finance confirms those figures."""
    organisation = request.organisation
    today = timezone.localdate()
    problems = creditor_problems(organisation)
    data = request.POST if request.method == "POST" else request.GET
    form = DebitBatchForm(
        data if "collection_date" in data else None,
        initial={"collection_date": earliest_collection_date(today)},
    )
    plan = None
    if form.is_bound and form.is_valid():
        day = form.cleaned_data["collection_date"]
        if problem := collection_date_problem(day, today):
            form.add_error("collection_date", problem)
        else:
            if request.method == "POST":
                try:
                    batch = debit_batch_create(
                        actor=request.user, collection_date=day, expected=form.expected()
                    )
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(
                        request,
                        ngettext(
                            "The direct-debit file is made: %(count)s debit, %(total)s €. "
                            "Download it and send it to the bank.",
                            "The direct-debit file is made: %(count)s debits, %(total)s €. "
                            "Download it and send it to the bank.",
                            batch.count,
                        )
                        % {"count": batch.count, "total": _euros(batch.total)},
                    )
                    return redirect(
                        org_reverse(organisation, "backoffice:debit_batch", pk=batch.pk)
                    )
            plan = debit_plan(organisation, day)
    batches = (
        DirectDebitBatch.objects.select_related("created_by")
        .annotate(rejected=Count("payments", filter=Q(payments__state=Payment.State.REJECTED)))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(batches, BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/debits.html",
        {"form": form, "plan": plan, "problems": problems, "page": page},
    )


@require_permission(Permission.MANAGE_BILLING)
def debit_batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(DirectDebitBatch.objects.select_related("created_by"), pk=pk)
    search = request.GET.get("q", "").strip()
    payments = batch.payments.select_related("family").prefetch_related("invoices")
    if search:
        payments = payments.filter(
            Q(family__name__icontains=search)
            | Q(family__number=search)
            | Q(reference__startswith=search.lower())
        )
    page = Paginator(payments.order_by("family__name", "pk"), PAYMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    states = dict(
        batch.payments.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    return render(
        request,
        "backoffice/debit_batch.html",
        {
            "batch": batch,
            "page": page,
            "search": search,
            "states": [
                (label, states.get(value, 0))
                for value, label in Payment.State.choices
                if value != Payment.State.FAILED
            ],
            "can_mark_debited": batch.state == DirectDebitBatch.State.EXPORTED
            and batch.collection_date <= timezone.localdate(),
        },
    )


@require_permission(Permission.MANAGE_BILLING)
def debit_batch_xml(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(DirectDebitBatch, pk=pk)
    response = HttpResponse(batch.xml, content_type="application/xml; charset=utf-8")
    name = f"prelevements-{batch.collection_date:%Y-%m-%d}-{batch.pk}.xml"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@require_permission(Permission.MANAGE_BILLING)
def debit_batch_debited(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(DirectDebitBatch, pk=pk)
    try:
        confirmed = debit_batch_mark_debited(actor=request.user, batch=batch)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "The file is marked debited: %(count)s payment recorded, its invoice paid.",
                "The file is marked debited: %(count)s payments recorded, their invoices paid.",
                confirmed,
            )
            % {"count": confirmed},
        )
    return redirect(org_reverse(request.organisation, "backoffice:debit_batch", pk=batch.pk))


@require_POST
@require_permission(Permission.MANAGE_BILLING)
def debit_payment_reject(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("family"),
        pk=pk,
        method=Payment.Method.DIRECT_DEBIT,
        batch__isnull=False,
    )
    target = org_reverse(request.organisation, "backoffice:debit_batch", pk=payment.batch_id)
    form = DebitRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason the bank gave for the rejection."))
        return redirect(target)
    try:
        emails = debit_reject(
            actor=request.user, payment=payment, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(target)
    done = _(
        "The debit of %(amount)s € from %(family)s is recorded as rejected: its invoice is "
        "unpaid again."
    ) % {"amount": _euros(payment.amount), "family": payment.family.name}
    if emails:
        messages.success(request, f"{done} {_('The family was told by e-mail.')}")
    else:
        messages.warning(
            request,
            f"{done} "
            + _(
                "No e-mail could be sent (no guardian with a login accepts e-mails): "
                "tell the family another way."
            ),
        )
    return redirect(target)
