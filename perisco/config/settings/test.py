"""The test suite: SQLite by default, PostgreSQL when DATABASE_URL is set."""

from .base import *

PERISCO_ENV = "test"
DEBUG = False
SECRET_KEY = "test-secret-key-only-for-the-test-suite-0123456789abcdef"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Argon2 is the production hasher (tested on its own); a fast one keeps the suite quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
PERISCO_SMS_BACKEND = "perisco.messaging.sms.MemoryBackend"
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
PERISCO_BASE_URL = "http://testserver"
LOGGING["root"]["level"] = "WARNING"
AXES_COOLOFF_TIME = 0.25
# eopayment's dummy card backend, whatever the environment says.
PAYMENT_BACKEND = "dummy"
