"""Staff (finance): payments — the list, and money received at the desk (cash, cheque,
CESU, transfer) recorded for a family. Rules live in perisco.billing.payments."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perisco.accounts.permissions import Permission
from perisco.backoffice.views.invoices import PAGE_SIZE
from perisco.billing.models import Payment
from perisco.billing.payments import MANUAL_METHODS, payment_record
from perisco.billing.selectors import family_account, payment_list
from perisco.core.errors import DomainError
from perisco.core.money import ZERO
from perisco.core.urls import org_reverse
from perisco.families.forms import DateInput
from perisco.families.models import Family
from perisco.families.selectors import family_list
from perisco.web.access import require_permission

# Families listed for a search on the payment form: enough to find one by name.
FAMILY_CHOICES = 20


@require_permission(Permission.MANAGE_BILLING)
def payments(request: HttpRequest) -> HttpResponse:
    method = request.GET.get("methode", "")
    if method not in Payment.Method.values:
        method = ""
    state = request.GET.get("etat", "")
    if state not in Payment.State.values:
        state = ""
    value = request.GET.get("famille", "")
    family = get_object_or_404(Family, pk=value) if value.isdigit() else None
    page = Paginator(
        payment_list(method=method, state=state, family_id=family.pk if family else None),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "method": method,
        "state": state,
        "family": family,
        "methods": Payment.Method.choices,
        "states": Payment.State.choices,
        "section": "payments",
    }
    if request.htmx:
        return render(request, "backoffice/payments.html#results", context)
    return render(request, "backoffice/payments.html", context)


class PaymentForm(forms.Form):
    family = forms.ModelChoiceField(queryset=Family.objects.none(), widget=forms.HiddenInput)
    method = forms.ChoiceField(
        label=gettext_lazy("How the family paid"),
        choices=[(m.value, m.label) for m in MANUAL_METHODS],
        widget=forms.RadioSelect,
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (€)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        localize=True,  # "12,50" as French staff type it
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=DateInput())
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For example the cheque's number and bank."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family"].queryset = Family.objects.all()  # the organisation's (scoped)


def _recorded_message(payment: Payment) -> str:
    """What the payment paid, from its allocations: the true figures."""
    allocations = list(
        payment.allocations.select_related("invoice").order_by("invoice__issue_date", "pk")
    )
    message = _("Payment of %(amount)s € recorded for %(family)s.") % {
        "amount": number_format(payment.amount, 2),
        "family": payment.family.name,
    }
    if allocations:
        message += " " + _("It paid: %(invoices)s.") % {
            "invoices": ", ".join(
                _("invoice %(number)s (%(amount)s €)")
                % {"number": a.invoice.number, "amount": number_format(a.amount, 2)}
                for a in allocations
            )
        }
    left = payment.amount - payment.settled
    if left > ZERO:
        message += " " + _(
            "%(left)s € of it is kept as the family's credit: it will pay its next invoices."
        ) % {"left": number_format(left, 2)}
    return message


@require_permission(Permission.MANAGE_BILLING)
def payment_new(request: HttpRequest) -> HttpResponse:
    """Find the family (?q= search, or ?famille=<pk> from its page), then record the
    payment."""
    value = request.POST.get("family") or request.GET.get("famille", "")
    family = get_object_or_404(Family, pk=value) if str(value).isdigit() else None
    search = request.GET.get("q", "").strip()[:100]
    found = list(family_list(search=search)[:FAMILY_CHOICES]) if search and not family else []
    form = PaymentForm(
        request.POST or None,
        initial={"family": family, "received_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_record(
                actor=request.user,
                family=data["family"],
                method=data["method"],
                amount=data["amount"],
                received_on=data["received_on"],
                note=data["note"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            payment.refresh_from_db()
            messages.success(request, _recorded_message(payment))
            return redirect(
                org_reverse(request.organisation, "backoffice:family", pk=data["family"].pk)
            )
    return render(
        request,
        "backoffice/payment_form.html",
        {
            "form": form,
            "family": family,
            "account": family_account(family) if family else None,
            "search": search,
            "found": found,
            "section": "payments",
        },
    )
