from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from perisco.bookings.reminders import booking_reminders_send
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope


class Command(BaseCommand):
    help = (
        "E-mail the guardians who asked for booking reminders when next week is not fully "
        "booked and its booking deadline is near (each organisation's notice). Idempotent: "
        "a guardian is reminded once per child and week; run it every hour."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Act as if it were this moment (ISO 8601, e.g. 2026-11-30T09:00+01:00): "
            "for trying it out on the demo.",
        )

    def handle(self, *args, **options):
        now = self._now(options["now"]) if options["now"] else timezone.now()
        emails = 0
        for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
            with organisation_scope(organisation):
                run = booking_reminders_send(organisation=organisation, now=now)
            emails += run.emails
        if options["verbosity"] > 1 or emails:
            self.stdout.write(f"{emails} reminder e-mail(s) queued")

    @staticmethod
    def _now(value: str) -> datetime:
        moment = parse_datetime(value)
        if moment is None:
            raise CommandError(f"--now: not a date and time: {value!r}")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment
