"""The family's invoices and their online card payment: the "Invoices" page, the pay
button (to the provider's payment page), the page the browser comes back to, and the
provider's server-to-server notification. Rules live in perisco.billing.card."""

from contextlib import suppress

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from perisco.accounts.permissions import Permission
from perisco.billing.card import (
    CardNotificationRefused,
    card_payment_notified,
    card_payment_origin,
    card_payment_start,
)
from perisco.billing.models import Invoice, Payment
from perisco.billing.runs import month_estimate
from perisco.billing.selectors import family_account_summary, family_invoice_list
from perisco.core.errors import DomainError
from perisco.core.http import client_ip
from perisco.core.ratelimit import rate_limit_hit
from perisco.core.urls import org_absolute_url, org_reverse
from perisco.families.selectors import access_family
from perisco.web.access import public, require_permission
from perisco.web.ratelimits import limited_response


def _allow_payment_form(response: HttpResponse) -> HttpResponse:
    """The pay buttons post here, and the answer sends the browser on to the provider's
    page: the browser checks that redirect against the page's `form-action`."""
    config = dict(settings.SECURE_CSP)
    config["form-action"] = [*config.get("form-action", [CSP.SELF]), card_payment_origin()]
    response._csp_config = config  # type: ignore[attr-defined]
    return response


@require_permission(Permission.USE_PORTAL)
def invoices(request: HttpRequest) -> HttpResponse:
    family = access_family(request.user)
    summary = family_account_summary(family)
    response = render(
        request,
        "portal/invoices.html",
        {
            "summary": summary,
            "invoices": family_invoice_list(family),
            "unpaid_ids": {u.invoice.pk for u in summary.unpaid},
            "estimate": month_estimate(family, timezone.localdate()),
        },
    )
    return _allow_payment_form(response) if summary.pay_online else response


@require_permission(Permission.USE_PORTAL)
@require_POST
def invoices_pay(request: HttpRequest) -> HttpResponse:
    """One invoice (`facture`) or all the unpaid ones; any amount sent is ignored."""
    family = access_family(request.user)
    organisation = request.organisation
    pk = request.POST.get("facture", "")
    if pk and not pk.isdigit():
        raise Http404
    try:
        _payment, url = card_payment_start(
            actor=request.user,
            family=family,
            invoice_ids=[int(pk)] if pk else None,
            return_url=lambda reference: org_absolute_url(
                organisation, "portal:card_payment_return", reference=reference
            ),
            notify_url=lambda reference: org_absolute_url(
                organisation, "portal:card_payment_notify", reference=reference
            ),
        )
    except Invoice.DoesNotExist as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(org_reverse(organisation, "portal:invoices"))
    return redirect(url)


def _notification_data(request: HttpRequest) -> str:
    if request.method == "POST" and request.body:
        return request.body.decode("utf-8", "replace")
    return request.META.get("QUERY_STRING", "")


@require_permission(Permission.USE_PORTAL)
@require_safe
def card_payment_return(request: HttpRequest, reference: str) -> HttpResponse:
    """Where the provider sends the browser back: its answer is checked as the
    notification's is (`card_payment_notified`), then the payment's state is shown."""
    family = access_family(request.user)
    payment = (
        Payment.objects.filter(family=family, reference=reference, method=Payment.Method.CARD)
        .prefetch_related("invoices")
        .first()
    )
    if payment is None:
        raise Http404
    data = request.META.get("QUERY_STRING", "")
    if data:
        # Refused (and logged): the page shows what we know; the notification may follow.
        with suppress(CardNotificationRefused):
            payment = card_payment_notified(
                organisation=request.organisation, reference=reference, data=data
            )
    return render(
        request,
        "portal/card_payment.html",
        {"payment": payment, "invoices": payment.invoices.all()},
    )


@public
@csrf_exempt
@require_http_methods(["GET", "POST"])
def card_payment_notify(request: HttpRequest, reference: str) -> HttpResponse:
    """The provider, server to server, without a session: 200 when the answer was acted
    on (or changed nothing), 400 or 403 when refused, 429 when over the limits."""
    organisation = request.organisation
    if organisation is None:
        raise Http404
    limited = rate_limit_hit(
        rule="card_notification_reference", key=f"{organisation.pk}:{reference[:64]}"
    )
    if limited is not None:
        return limited_response(HttpResponse(status=429), limited)
    try:
        card_payment_notified(
            organisation=organisation, reference=reference, data=_notification_data(request)
        )
    except CardNotificationRefused as refused:
        limited = rate_limit_hit(rule="card_notification_refused_client", key=client_ip(request))
        if limited is not None:
            return limited_response(HttpResponse(status=429), limited)
        return HttpResponse(status=refused.status, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
