from django.core.management.base import BaseCommand

from perisco.billing.card import CARD_PAYMENT_EXPIRY, card_payments_expire
from perisco.core.commands import NOW_HELP, now_option
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope


class Command(BaseCommand):
    help = (
        "Mark failed the card payments left pending (the family closed the payment page) "
        f"{int(CARD_PAYMENT_EXPIRY.total_seconds() // 60)} minutes after they began. A late "
        "answer from the provider that one was paid still counts it. Run it every hour."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help=NOW_HELP)

    def handle(self, *args, **options):
        now = now_option(options["now"])
        expired = 0
        for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
            with organisation_scope(organisation):
                expired += card_payments_expire(now=now)
        if options["verbosity"] > 1 or expired:
            self.stdout.write(f"{expired} abandoned card payment(s) marked failed")
