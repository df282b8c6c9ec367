"""Cost of one sign-in's password check: Django's Argon2 defaults against ours.

    .venv/bin/python bench/logins.py

For each parameter set, prints the time of one hash check on an idle machine (median of
ROUNDS), the memory it needs, and the sign-ins per second the machine sustains with one
process per core checking passwords for SECONDS (what a crowd of families signing in at a
booking opening asks of it). Nothing else runs: no database, no request.
"""

import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher
from argon2.low_level import Type

from perisco.accounts.hashers import PeriscoArgon2Hasher

ROUNDS = 20
SECONDS = 10.0
PASSWORD = "Bon-mot-de-passe-42"  # noqa: S105 (a made-up password to hash)
# (label, time_cost, memory_cost in KiB, parallelism)
PARAMETERS = (
    ("Django 6.1 default (before)", 2, 102400, 8),
    (
        "OWASP Argon2id (now)",
        PeriscoArgon2Hasher.time_cost,
        PeriscoArgon2Hasher.memory_cost,
        PeriscoArgon2Hasher.parallelism,
    ),
)


def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def _checks_for(args: tuple[int, int, int, float]) -> int:
    time_cost, memory_cost, parallelism, seconds = args
    hasher = _hasher(time_cost, memory_cost, parallelism)
    encoded = hasher.hash(PASSWORD)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        hasher.verify(encoded, PASSWORD)
        done += 1
    return done


def main() -> None:
    cores = os.cpu_count() or 1
    print(f"{cores} cores; each row: one check alone, then {cores} processes for {SECONDS:.0f} s")
    print(f"{'parameters':<30} {'m (MiB)':>8} {'t':>3} {'p':>3} {'ms/check':>9} {'logins/s':>9}")
    for label, time_cost, memory_cost, parallelism in PARAMETERS:
        hasher = _hasher(time_cost, memory_cost, parallelism)
        encoded = hasher.hash(PASSWORD)
        times = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            hasher.verify(encoded, PASSWORD)
            times.append((time.perf_counter() - started) * 1000)
        with multiprocessing.Pool(cores) as pool:
            started = time.perf_counter()
            counts = pool.map(_checks_for, [(time_cost, memory_cost, parallelism, SECONDS)] * cores)
            elapsed = time.perf_counter() - started
        print(
            f"{label:<30} {memory_cost / 1024:>8.0f} {time_cost:>3} {parallelism:>3} "
            f"{statistics.median(times):>9.1f} {sum(counts) / elapsed:>9.1f}"
        )


if __name__ == "__main__":
    main()
