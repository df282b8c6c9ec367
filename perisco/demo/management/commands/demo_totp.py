import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from perisco.demo.seed import totp_key


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo login (e.g. admin@demo.test)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, **options):
        if settings.PERISCO_ENV == "production":
            raise CommandError("demo_totp refuses to run with production settings.")
        code = totp(bytes.fromhex(totp_key(options["email"])))
        remaining = 30 - int(time.time()) % 30
        self.stdout.write(f"{code:06d}  (valid {remaining} more seconds)")
