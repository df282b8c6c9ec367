"""On SQLite (`make run`), writers that arrive together wait their turn instead of failing
with "database is locked" (a family double-clicking "enrol", twelve families at a booking
opening). Run on a SQLite file in a process of its own: see sqlite_writers.py."""

import json
import subprocess
import sys

import pytest
from django.conf import settings


def run_writers(tmp_path, keys: str, *options: str) -> dict:
    result = subprocess.run(  # noqa: S603 - our own module, with fixed arguments
        [
            sys.executable,
            "-m",
            "perisco.core.tests.sqlite_writers",
            str(tmp_path / "writers.sqlite3"),
            keys,
            *options,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("keys", "rows"), [("distinct", 12), ("same", 1)])
def test_twelve_writers_at_once_all_succeed(tmp_path, keys, rows):
    report = run_writers(tmp_path, keys)
    assert report["outcomes"] == ["ok"] * 12
    assert report["rows"] == rows  # each read saw the writes committed before it
    assert report["journal_mode"] == "wal"


def test_control_without_the_options_writers_fail_with_database_is_locked(tmp_path):
    report = run_writers(tmp_path, "same", "--default-options")
    assert "database is locked" in report["outcomes"]
