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
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def organisation(db):
    from perisco.core.tests.factories import OrganisationFactory

    return OrganisationFactory(slug="demo", name="Ville de Démo")


@pytest.fixture
def other_organisation(db):
    from perisco.core.tests.factories import OrganisationFactory

    return OrganisationFactory(slug="val", name="Communauté de communes du Val")


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
