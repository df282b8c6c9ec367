"""What the cron commands share: `--now`, to try them out on the demo at another moment."""

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

NOW_HELP = (
    "Act as if it were this moment (ISO 8601, e.g. 2026-12-20T09:00+01:00): for trying it "
    "out on the demo."
)


def now_option(value: str | None) -> datetime:
    """The moment `--now` gives (naive: Paris time), or now."""
    if not value:
        return timezone.now()
    moment = parse_datetime(value)
    if moment is None:
        raise CommandError(f"--now: not a date and time: {value!r}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
