import os

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scopes_disabled

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be
# usable there (pytest-django's live_server runs the app in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_scopes: run without the suite-wide scopes_disabled() (tasks, commands)"
    )
    config.addinivalue_line(
        "markers", "postgresql: concurrency test that needs PostgreSQL's row locks"
    )


def pytest_collection_modifyitems(config, items):
    """Concurrency tests run in the PostgreSQL pass of CI (DATABASE_URL set); SQLite
    serialises writers, so they say nothing there."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    selected = [item for item in items if not item.get_closest_marker("postgresql")]
    deselected = [item for item in items if item.get_closest_marker("postgresql")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "")
    return "database: " + ("PostgreSQL" if url.startswith("postgres") else "SQLite")


@pytest.fixture(autouse=True)
def _scopes_disabled_by_default(request):
    """Test bodies build and inspect data of several organisations. Requests still run in
    their organisation's scope (the middleware enters it); tests of code that must enter
    the scope itself use the `real_scopes` marker."""
    if request.node.get_closest_marker("real_scopes"):
        yield
        return
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the (local-memory) cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English (the language cookie) leaves English active in the thread;
    every test starts in the site's language whatever ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def sms_outbox():
    """The text messages sent (the test settings' memory backend), empty at the start."""
    from perisco.messaging.sms import MemoryBackend

    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


@pytest.fixture
def organisation(db):
    from perisco.core.tests.factories import OrganisationFactory

    return OrganisationFactory(slug="demo", name="Ville de Démo")


@pytest.fixture
def finance(organisation):
    """A finance officer of `organisation`, not signed in."""
    from perisco.accounts.roles import Role
    from perisco.accounts.tests.factories import UserFactory

    return UserFactory(organisation=organisation, role=Role.FINANCE)


@pytest.fixture
def other_organisation(db):
    from perisco.core.tests.factories import OrganisationFactory

    return OrganisationFactory(slug="val", name="Communauté de communes du Val")


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST with the client and run what the request left for after commit (e-mails)."""

    def send(url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return send


def sign_in(client, user, *, verified: bool = True):
    """Log `user` in; staff whose role requires 2FA get a verified session unless told not."""
    client.force_login(user, backend="perisco.accounts.backends.OrganisationEmailBackend")
    if verified and user.requires_2fa:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="test", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


# --- Browser tests (Playwright driving Debian's Chromium; see STACK.md) ---

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # bypass_csp lets axe-core be injected into pages served with our strict CSP.
    return {**browser_context_args, "bypass_csp": True, "locale": "fr-FR"}
