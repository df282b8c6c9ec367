from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from perisco.billing.payments import UNPAID_REMINDER_DAYS, unpaid_reminders_send
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope


class Command(BaseCommand):
    help = (
        "E-mail the families with overdue invoices (issued, not fully paid, due date "
        f"passed) the list of them and how to pay. Idempotent: a family is reminded at most "
        f"once every {UNPAID_REMINDER_DAYS} days; run it once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Act as if it were this moment (ISO 8601, e.g. 2026-12-20T09:00+01:00): "
            "for trying it out on the demo.",
        )

    def handle(self, *args, **options):
        now = self._now(options["now"]) if options["now"] else timezone.now()
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

    @staticmethod
    def _now(value: str) -> datetime:
        moment = parse_datetime(value)
        if moment is None:
            raise CommandError(f"--now: not a date and time: {value!r}")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment
