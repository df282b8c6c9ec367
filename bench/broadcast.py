"""A broadcast to every family of a town: the threads written in the request, then the
e-mails of the background task.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisco_bench
    .venv/bin/python bench/broadcast.py 10000    # the town is built once (~1 min)
    .venv/bin/python bench/broadcast.py 2000

The town of bench/town.py, where each family's first guardian has a login and accepts
e-mails (the second has none): a broadcast to all writes one thread and one message per
family, and the task then renders and queues one e-mail per family (their delivery, one
worker task each, is not timed). Three rounds, each
committed as in production and cleaned away untimed.
"""

import statistics
import sys
import time
from unittest import mock

import django_setup  # noqa: F401  (first: Django ready)
from django.core.management import call_command
from django.db import transaction
from town import generate_town

from perisco.accounts.models import User
from perisco.accounts.roles import Role
from perisco.core.scoping import organisation_scope
from perisco.families.models import Guardian
from perisco.inbox.audiences import Audience
from perisco.inbox.models import Broadcast, Thread
from perisco.inbox.services import broadcast_email, broadcast_send
from perisco.messaging.models import OutgoingEmail

ROUNDS = 3
BODY = "Madame, Monsieur,\n\nLa cantine sera fermée jeudi pour cause de grève.\n" * 5


@transaction.atomic
def _logins(organisation) -> None:
    """A login for each family's first guardian (bench/town.py gives none)."""
    guardians = list(Guardian.objects.filter(rank=1, user__isnull=True).exclude(email=""))
    users = User.objects.bulk_create(
        [
            User(
                organisation=organisation,
                email=guardian.email,
                role=Role.GUARDIAN,
                first_name=guardian.first_name,
                last_name=guardian.last_name,
                password="!",  # noqa: S106 (unusable: nobody signs in here)
            )
            for guardian in guardians
        ],
        batch_size=1000,
    )
    for guardian, user in zip(guardians, users, strict=True):
        guardian.user, guardian.consent_email = user, True
    Guardian.objects.bulk_update(guardians, ["user", "consent_email"], batch_size=1000)


def _clean() -> None:
    with transaction.atomic():
        OutgoingEmail.objects.with_scopes_disabled().filter(template="message_received").delete()
        Thread.objects.all().delete()
        Broadcast.objects.all().delete()


def main() -> None:
    families = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    call_command("migrate", verbosity=0)
    town = generate_town(families=families, slug=f"broadcast{families}")
    with organisation_scope(town.organisation):
        _logins(town.organisation)
        _clean()
        sends, emails = [], []
        for round_number in range(1, ROUNDS + 1):
            started = time.perf_counter()
            # The e-mails are timed apart, as the worker runs them after the request.
            with mock.patch("perisco.inbox.services.broadcast_email_task"):
                sent = broadcast_send(
                    actor=town.manager,
                    organisation=town.organisation,
                    audience=Audience("all"),
                    subject="Grève jeudi",
                    body=BODY,
                )
            sends.append(time.perf_counter() - started)
            started = time.perf_counter()
            # Queued only: the worker delivers them later, one task each (not timed here).
            with mock.patch("perisco.messaging.services._enqueue_delivery"):
                queued = broadcast_email(sent.pk)
            emails.append(time.perf_counter() - started)
            print(
                f"round {round_number}: {sent.families_count} threads in {sends[-1]:.2f} s, "
                f"{queued} e-mails queued in {emails[-1]:.2f} s",
                flush=True,
            )
            _clean()
    print(
        f"{families} families: send (threads) median {statistics.median(sends):.2f} s, "
        f"e-mails median {statistics.median(emails):.2f} s"
    )


if __name__ == "__main__":
    main()
