from django.core.management.base import BaseCommand

from perisco.families.services import UNVERIFIED_REGISTRATION_DAYS, registrations_purge_unverified


class Command(BaseCommand):
    help = (
        f"Forget self-registrations whose e-mail address was not confirmed within "
        f"{UNVERIFIED_REGISTRATION_DAYS} days. Run it daily."
    )

    def handle(self, *args, **options):
        count = registrations_purge_unverified()
        if options["verbosity"] > 1:
            self.stdout.write(f"{count} registration(s) forgotten")
