"""`make run`: embedded SQLite, console e-mail, tasks run inline."""

from .base import *

PERISCO_ENV = "local"
DEBUG = True
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="insecure-local-development-key-never-use-in-production"
)
# More names (the machine's address on the network) with DJANGO_ALLOWED_HOSTS.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", *env.list("DJANGO_ALLOWED_HOSTS", default=[])]
# Serve static files from the apps' folders, without collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PERISCO_HOSTING = env(
    "PERISCO_HOSTING", default="Démonstration : l'ordinateur qui exécute « make run »."
)
