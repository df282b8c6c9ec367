from django.core.management.base import BaseCommand

from perisco.bookings.reminders import booking_reminders_send
from perisco.core.commands import NOW_HELP, now_option
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope


class Command(BaseCommand):
    help = (
        "E-mail the guardians who asked for booking reminders when next week is not fully "
        "booked and its booking deadline is near (each organisation's notice). Idempotent: "
        "a guardian is reminded once per child and week; run it every hour."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help=NOW_HELP)

    def handle(self, *args, **options):
        now = now_option(options["now"])
        emails = 0
        for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
            with organisation_scope(organisation):
                run = booking_reminders_send(organisation=organisation, now=now)
            emails += run.emails
        if options["verbosity"] > 1 or emails:
            self.stdout.write(f"{emails} reminder e-mail(s) queued")
