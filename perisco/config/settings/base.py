"""Settings shared by every environment; each value an operator may change comes from the
environment (see docs/deploy.md)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[3]
PACKAGE_DIR = BASE_DIR / "perisco"

env = environ.Env()

PERISCO_ENV = "base"
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = False
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=[])
# Absolute address of the site, for links in e-mails (required in production). Empty: the
# address the browser used (perisco.core.urls.site_base_url), for `make run` anywhere.
PERISCO_BASE_URL = env("PERISCO_BASE_URL", default="").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "simple_history",
    "perisco.core",
    "perisco.accounts",
    "perisco.families",
    "perisco.activities",
    "perisco.bookings",
    "perisco.billing",
    "perisco.messaging",
    "perisco.inbox",
    "perisco.web",
    "perisco.portal",
    "perisco.backoffice",
    "perisco.hosting",
    "perisco.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "perisco.core.middleware.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "perisco.core.middleware.PrivateCacheMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "perisco.core.middleware.OrganisationMiddleware",
    "perisco.web.middleware.AccountStateMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "perisco.config.urls"
WSGI_APPLICATION = "perisco.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "perisco.web.context_processors.perisco",
                "perisco.portal.context_processors.family_menu",
                "perisco.backoffice.context_processors.staff_menu",
            ],
            "builtins": ["perisco.core.templatetags.perisco"],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
# SQLite (`make run`, small installs): writers queue instead of failing with "database is
# locked". WAL lets readers go on while one writes; IMMEDIATE takes the write lock when a
# transaction starts, so two that read then write cannot deadlock on upgrading their lock
# (SQLite fails one at once, whatever the timeout); `timeout` is how long a writer waits.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "perisco.accounts.backends.OrganisationEmailBackend",
]
# Argon2id with OWASP's parameters (perisco/accounts/hashers.py); Django's own Argon2 hasher
# must not be listed as well: it has the same algorithm name and would take over checking.
PASSWORD_HASHERS = [
    "perisco.accounts.hashers.PeriscoArgon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "perisco.accounts.passwords.OrganisationPolicyValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "root"

# The login e-mail is unique per organisation (a UniqueConstraint on (organisation, email)),
# not globally: each municipality's accounts are separate, so a family known to two towns
# has two accounts and neither town can learn of the other's.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

# Lockout after repeated failures (CNIL: 8-character passwords only with throttling).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
# Counted per login (e-mail within a site) and per client address, so spraying one password
# over many accounts from one address is stopped as well as guessing one account's.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "perisco.accounts.backends.lockout_key"
AXES_LOCKOUT_CALLABLE = "perisco.web.views.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind a reverse proxy every request comes from the proxy: the lockout, the rate limits
# and the request log read the client's address from X-Forwarded-For instead
# (perisco.core.http.client_ip). 0 here (`make run` serves browsers directly); production
# defaults to 1, the nginx of docs/deploy.md. AXES_PROXY_COUNT is its former name.
PERISCO_PROXY_COUNT = env.int("PERISCO_PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=0))
AXES_CLIENT_IP_CALLABLE = "perisco.core.http.client_ip"

OTP_TOTP_ISSUER = "Périsco"
OTP_TOTP_THROTTLE_FACTOR = 1

# Sessions are written to the database and read from the cache (Redis in production): a
# page does not pay a query for them.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "perisco.web.views.errors.csrf_failure"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "perisco_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"  # filled by collectstatic in production
# Largest document a family or staff member may send (scans, photos).
# Who hosts the installation (name, address, phone), for every site's legal notices.
PERISCO_HOSTING = env("PERISCO_HOSTING", default="")
PERISCO_MAX_UPLOAD_MB = env.int("PERISCO_MAX_UPLOAD_MB", default=10)
# Images: refused above this many pixels (read from the header, before decoding: a 2 MB
# JPEG can claim 13,000 × 13,000 pixels, 500 MB once decoded), and stored at most this
# many pixels on their long side: enough to read a photographed attestation (~180 dpi
# on A4), and a 12-megapixel photo is then decoded at half size (a quarter of the memory).
PERISCO_MAX_IMAGE_MEGAPIXELS = env.int("PERISCO_MAX_IMAGE_MEGAPIXELS", default=40)
PERISCO_MAX_IMAGE_SIDE = env.int("PERISCO_MAX_IMAGE_SIDE", default=2000)
MEDIA_ROOT = env.path("PERISCO_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Périsco <no-reply@perisco.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Delays between delivery attempts of an e-mail; after the last one it is marked failed.
# Text messages (perisco.messaging.sms): the console until a provider's backend is written.
PERISCO_SMS_BACKEND = env("PERISCO_SMS_BACKEND", default="perisco.messaging.sms.ConsoleBackend")
PERISCO_EMAIL_RETRY_DELAYS = [60, 300, 1800, 7200, 43200]

TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# E-mails a stranger can make Périsco send (perisco.core.ratelimit): (count, seconds) per
# e-mail address and per client address. A client address may be shared by many families
# (a mobile operator's NAT, a town hall's network), hence its higher counts.
PERISCO_RATE_LIMITS = {
    "password_reset_address": (3, 60 * 60),
    "password_reset_client": (20, 60 * 60),
    "registration_address": (3, 24 * 60 * 60),
    "registration_client": (10, 60 * 60),
    # The families' calendar feeds (/<org>/calendrier/<token>.ics): fetches of one address
    # (calendar apps poll every few minutes at most), and unknown addresses per client.
    "calendar_feed_token": (60, 60 * 60),
    "calendar_feed_miss_client": (100, 60 * 60),
    # Card payment notifications (/<org>/famille/paiement/<reference>/notification/): the
    # answers about one payment (each may make us ask PayFiP), and refused ones per client.
    "card_notification_reference": (60, 60 * 60),
    "card_notification_refused_client": (100, 60 * 60),
}

# Online card payment (perisco.billing.card), an eopayment backend: "dummy" (a fake payment
# page whose answers anyone can forge: never in production) or "payfip_ws" (production).
PAYMENT_BACKEND = env("PERISCO_PAYMENT_BACKEND", default="dummy")
# PayFiP's mode: T (test), X (activation, with the DGFiP), W (production).
PAYFIP_SAISIE = env("PERISCO_PAYFIP_SAISIE", default="W")

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # The nonce lets the page carry the organisation's main colour (base.html).
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "perisco.core.logging.RequestContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("PERISCO_LOG_FORMAT", default="text"),
            "filters": ["request"],
        }
    },
    "root": {"handlers": ["console"], "level": env("PERISCO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
