"""How often an action may be done by one key (an address, a client), counted in the cache.

Fixed windows: each rule allows `count` uses per `seconds`, counted from the start of the
current window. The cache must be shared by every gunicorn worker in production (Redis or
the database cache, see production settings); the local-memory cache of `make run` and the
tests is enough for one process.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Limited:
    """The rule said no; the window ends in `retry_after` seconds."""

    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def rate_limit_hit(*, rule: str, key: str) -> Limited | None:
    """Count one use of `rule` by `key`; `Limited` if it is one more than the rule allows.

    `rule` names an entry of `settings.PERISCO_RATE_LIMITS`: (count, seconds). The key is
    hashed, so the cache holds no e-mail address.
    """
    count, seconds = settings.PERISCO_RATE_LIMITS[rule]
    now = time.time()
    window = int(now // seconds)
    digest = hashlib.sha256(f"{rule}\0{key}".encode()).hexdigest()[:40]
    cache_key = f"perisco:ratelimit:{rule}:{window}:{digest}"
    cache.add(cache_key, 0, timeout=seconds)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=seconds)
        used = 1
    if used <= count:
        return None
    return Limited(retry_after=max(1, math.ceil((window + 1) * seconds - now)))
