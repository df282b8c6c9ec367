"""Makes `perisco` importable and Django ready for a bench script run from the repository.

    import bench.django_setup  # noqa: F401  (first, before any perisco import)

Without DATABASE_URL the scripts use a fresh SQLite file; give a PostgreSQL URL to measure
what production sees.
"""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perisco.config.settings.local")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django

django.setup()
