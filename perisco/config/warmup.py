"""What a web process loads on its first requests, loaded before it serves any: the views
(the URLconf), the holiday calendars and the cache client. With gunicorn's `--preload`
(docs/deploy.md) the master does it once and every worker starts warm; without it, each
worker does it as it boots, not while a family waits."""

import contextlib

from django.utils import timezone


def warm_up() -> None:
    from django.urls import get_resolver

    from perisco.activities.calendars import _school_holiday_dates, public_holidays
    from perisco.core.models import PublicHolidayRegion

    get_resolver().url_patterns  # noqa: B018 (imports every view)
    year = timezone.now().year
    for region in PublicHolidayRegion.values:
        for offset in (-1, 0, 1):
            public_holidays(year + offset, region)
    _school_holiday_dates()
    with contextlib.suppress(ImportError):  # no Redis in this installation
        import redis  # noqa: F401 (the Redis cache client imports it on its first use)
