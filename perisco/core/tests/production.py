"""The values of the production settings module, for tests of what depends on them.

The module reads the environment when it is imported and changes dictionaries it shares
with the base settings, so it is imported in a child process with a production-like
environment, never in the test process itself.
"""

import json
import os
import subprocess
import sys

from django.conf import settings

ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "perisco.config.settings.production",
    "DJANGO_SECRET_KEY": "production-like-secret-key-for-tests-0123456789abcdefghijklmnop",
    "DJANGO_ALLOWED_HOSTS": "portail.example.org",
    "PERISCO_BASE_URL": "https://portail.example.org",
    "DATABASE_URL": "postgres://perisco@127.0.0.1:5432/perisco",
}
_READ = (
    "import json, sys\n"
    "from perisco.config.settings import production as s\n"
    "print(json.dumps({name: getattr(s, name) for name in sys.argv[1:]}))\n"
)


def production_settings(*names: str, **environment: str) -> dict:
    """`names` of the production settings, as they are with the documented environment
    (docs/deploy.md) plus `environment`."""
    variables = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PERISCO_", "AXES_", "DATABASE_", "REDIS_"))
    }
    variables.update(ENVIRONMENT, **environment)
    result = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-c", _READ, *names],
        env=variables,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)
