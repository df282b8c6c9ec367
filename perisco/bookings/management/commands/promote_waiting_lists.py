from django.core.management.base import BaseCommand
from django.utils import timezone

from perisco.bookings.models import Booking
from perisco.bookings.services import waiting_list_promote
from perisco.bookings.states import State
from perisco.core.scoping import organisation_scope, scopes_disabled


class Command(BaseCommand):
    help = (
        "Give free places to the waiting lists of the coming days: after staff raised the "
        "places, or when a promotion after a cancellation was lost (a worker stopped). "
        "Idempotent; run it every few minutes."
    )

    def handle(self, *args, **options):
        with scopes_disabled():
            lists = set(
                Booking.objects.filter(
                    state=State.WAITING, day__gte=timezone.localdate()
                ).values_list("organisation_id", "unit_id", "day", "group")
            )
        promoted = 0
        for organisation_id, unit_id, day, group in sorted(lists):
            with organisation_scope(organisation_id):
                promoted += len(waiting_list_promote(unit_id=unit_id, day=day, group=group))
        if options["verbosity"] > 1 or promoted:
            self.stdout.write(f"{promoted} waiting booking(s) given a place")
