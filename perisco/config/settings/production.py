"""Production: every secret and address comes from the environment (docs/deploy.md)."""

from .base import *

PERISCO_ENV = "production"
DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
PERISCO_BASE_URL = env("PERISCO_BASE_URL").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[PERISCO_BASE_URL])

# One reverse proxy (nginx) in front of gunicorn, as docs/deploy.md sets it up.
PERISCO_PROXY_COUNT = env.int("PERISCO_PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=1))

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"]}}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": _email.get("EMAIL_HOST") or "localhost",
        "port": _email.get("EMAIL_PORT") or 25,
        "username": _email.get("EMAIL_HOST_USER") or "",
        "password": _email.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        "timeout": 20,
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Card payment through PayFiP, with each organisation's client number (numcli): never the
# dummy backend, whose answers anyone can forge.
PAYMENT_BACKEND = "payfip_ws"

# Shared by every gunicorn worker and machine: the e-mail rate limits count in it. Redis when
# there is one, else a table of the database (`manage.py createcachetable`, docs/deploy.md).
if env("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "perisco_cache",
        }
    }

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True

LOGGING["handlers"]["console"]["formatter"] = env("PERISCO_LOG_FORMAT", default="json")
