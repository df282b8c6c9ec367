from django.core.management.base import BaseCommand

from perisco.billing.payments import UNPAID_REMINDER_DAYS, unpaid_reminders_send
from perisco.core.commands import NOW_HELP, now_option
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope


class Command(BaseCommand):
    help = (
        "E-mail the families with overdue invoices (issued, not fully paid, due date "
        f"passed) the list of them and how to pay. Idempotent: a family is reminded at most "
        f"once every {UNPAID_REMINDER_DAYS} days; run it once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help=NOW_HELP)

    def handle(self, *args, **options):
        now = now_option(options["now"])
        families = emails = 0
        for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
            with organisation_scope(organisation):
                reminded, queued = unpaid_reminders_send(
                    actor=None, organisation=organisation, now=now
                )
            families += reminded
            emails += queued
        if options["verbosity"] > 1 or emails:
            self.stdout.write(f"{families} family(ies) reminded, {emails} e-mail(s) queued")
