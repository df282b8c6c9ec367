"""How passwords are stored."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class PeriscoArgon2Hasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended minimum (m = 19 MiB, t = 2, p = 1).

    Django's defaults (100 MiB, 8 lanes) cost ~300 ms of both cores and ~100 MiB per
    sign-in, so a crowd of families signing in before a booking opening would saturate the
    server (figures: docs/performance.md). The algorithm keeps Django's name "argon2": hashes
    stored with other parameters are still checked, and `must_update` makes Django re-hash
    them with these at the next successful sign-in.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
