from django.core.management.base import BaseCommand

from perisco.activities.docs import DOC_PATH, write_rules_doc


class Command(BaseCommand):
    help = "Rewrite docs/rules.md from the booking-rule engine."

    def handle(self, *args, **options):
        changed = write_rules_doc()
        self.stdout.write(f"{DOC_PATH} {'rewritten' if changed else 'already up to date'}")
