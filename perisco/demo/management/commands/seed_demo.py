from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from perisco.accounts.roles import ROLES_REQUIRING_2FA, Role
from perisco.core.urls import runserver_default_url
from perisco.demo.seed import DEMO_PASSWORD, seed_demo, totp_secret_base32


class Command(BaseCommand):
    help = "Create or refresh the two demo organisations and print their logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            help="Address the site is served at, for the printed links (default: "
            "PERISCO_BASE_URL, else runserver's default address).",
        )

    def handle(self, *args, **options):
        if settings.PERISCO_ENV == "production":
            raise CommandError("seed_demo refuses to run with production settings.")
        logins = seed_demo()
        base = (options["base_url"] or settings.PERISCO_BASE_URL or runserver_default_url()).rstrip(
            "/"
        )
        self.stdout.write(
            self.style.SUCCESS("\nPérisco demo, password for every login: ") + DEMO_PASSWORD + "\n"
        )
        for site, email, role in logins:
            line = f"  {base}/{site}/connexion/  {email:<28} {Role(role).label}"
            if role in ROLES_REQUIRING_2FA:
                secret = totp_secret_base32(email)
                line += (
                    f"\n      two-factor secret for an authenticator app: {secret}"
                    f"  (or: manage.py demo_totp {email})"
                )
            self.stdout.write(line)
        self.stdout.write("")
