"""E-mails of billing: "your invoice is available", once per issued run (SPEC §6)."""

from datetime import datetime

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from perisco.billing.documents import invoices_page_url
from perisco.billing.models import BillingRun, Invoice
from perisco.core.audit import audit_log
from perisco.core.money import ZERO
from perisco.core.scoping import organisation_scope
from perisco.families.services import family_email


@task()
def invoices_announce_task(organisation_id: int, run_id: int) -> None:
    with organisation_scope(organisation_id):
        invoices_announce(run_id)


def invoices_announce(run_id: int, *, now: datetime | None = None) -> int:
    """Tell each family of an issued run, through every guardian with a login, that its
    invoice is available: an invoice is sent whatever the e-mail consent, as the law
    wants it delivered (consent covers what the service chooses to write).

    Once per run: the run's row is locked and marked announced in the same transaction as
    the e-mails queued (a retry or a second worker finds it done; a failure queues nothing
    and the retry starts again). Returns how many e-mails were queued."""
    now = now or timezone.now()
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().select_related("organisation").get(pk=run_id)
        if run.state != BillingRun.State.ISSUED or run.summary.get("announced_at"):
            return 0
        organisation = run.organisation
        url = invoices_page_url(organisation)
        invoices = Invoice.objects.filter(run=run, state=Invoice.State.ISSUED).select_related(
            "family"
        )
        sent = families = 0
        for invoice in invoices.order_by("sequence"):
            family = invoice.family
            family.organisation = organisation  # the run's: no query per family
            families += 1
            sent += family_email(
                family=family,
                template="invoice_available",
                required=True,
                context={
                    "invoice": invoice,
                    "amount_due": max(invoice.amount_due, ZERO),
                    "url": url,
                },
            )
        run.summary = {**run.summary, "announced_at": now.isoformat(), "announced": sent}
        run.save(update_fields=["summary"])
        audit_log(
            organisation=organisation,
            actor=None,
            action="billing.invoices_announced",
            target=run,
            data={"families": families, "emails": sent},
        )
    return sent
