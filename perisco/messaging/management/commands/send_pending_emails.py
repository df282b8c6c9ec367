from django.core.management.base import BaseCommand

from perisco.messaging.services import emails_deliver_due


class Command(BaseCommand):
    help = "Deliver queued e-mails that are due (retries after failures). Run it every minute."

    def handle(self, *args, **options):
        sent = emails_deliver_due()
        if options["verbosity"] > 1:
            self.stdout.write(f"{sent} e-mail(s) sent")
