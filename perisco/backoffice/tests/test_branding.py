"""An organisation's logo and main colour: chosen in the settings page, shown in the header of
its site and of its e-mails."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.conftest import sign_in
from perisco.core.models import AuditEntry, Organisation
from perisco.core.services import organisation_update_settings
from perisco.messaging.services import email_send


@pytest.fixture
def admin(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    sign_in(client, user)
    client.cookies["perisco_language"] = "en"
    return user


def _settings(organisation: Organisation, **changes) -> dict:
    from perisco.backoffice.forms import OrganisationSettingsForm

    form = OrganisationSettingsForm(instance=organisation)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.pop("logo", None)
    data.update(changes)
    return data


def _png(width: int, height: int, name: str = "logo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (31, 78, 153, 255)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_a_colour_white_text_cannot_be_read_on_is_refused_with_the_reason(
    client, admin, organisation
):
    response = client.post(
        "/demo/gestion/parametres/", _settings(organisation, brand_colour="#ffbf47")
    )
    assert response.status_code == 200
    assert "White text on this colour would be hard to read (contrast 1.6:1" in response.text
    organisation.refresh_from_db()
    assert organisation.brand_colour == ""
    # The page around the refused form keeps the saved colour (none).
    assert "--c-primary" not in response.text


def test_the_main_colour_paints_the_site_and_the_emails(client, admin, organisation):
    response = client.post(
        "/demo/gestion/parametres/", _settings(organisation, brand_colour="#0B6E4F ")
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.brand_colour == "#0b6e4f"
    html = client.get("/demo/gestion/").text
    assert "--c-primary: #0b6e4f; --c-primary-dark: #08523b;" in html
    assert 'style nonce="' in html  # allowed by the Content-Security-Policy
    client.logout()
    assert "--c-primary: #0b6e4f" in client.get("/demo/connexion/").text

    email = email_send(
        organisation=organisation, to="a@example.test", template="password_changed", context={}
    )
    assert "color: #0b6e4f" in email.body_html


def test_a_logo_is_re_encoded_fitted_and_shown_in_the_header_and_emails(
    client, admin, organisation
):
    response = client.post(
        "/demo/gestion/parametres/", _settings(organisation, logo=_png(1200, 300))
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.logo.name.startswith("logos/demo-")
    with organisation.logo.open("rb") as handle, Image.open(handle) as image:
        assert (image.format, image.size) == ("PNG", (600, 150))
    assert AuditEntry.objects.filter(action="organisation.settings_changed").exists()

    html = client.get("/demo/gestion/").text
    assert '<img class="brand__logo" src="/demo/logo/?v=' in html
    client.logout()
    assert '<img class="brand__logo" src="/demo/logo/?v=' in client.get("/demo/connexion/").text
    served = client.get("/demo/logo/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")

    email = email_send(
        organisation=organisation, to="a@example.test", template="password_changed", context={}
    )
    assert '<img src="http://testserver/demo/logo/?v=' in email.body_html


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(client, admin, organisation):
    fake = SimpleUploadedFile("logo.png", b"%PDF-1.4 not a logo", content_type="image/png")
    response = client.post("/demo/gestion/parametres/", _settings(organisation, logo=fake))
    assert response.status_code == 200
    assert "send a JPEG or PNG image" in response.text
    organisation.refresh_from_db()
    assert not organisation.logo


def test_a_logo_of_too_many_pixels_is_refused_before_being_decoded(client, admin, organisation):
    from perisco.families.tests.test_documents import png_claiming

    huge = SimpleUploadedFile("logo.png", png_claiming(13_000, 13_000), content_type="image/png")
    response = client.post("/demo/gestion/parametres/", _settings(organisation, logo=huge))
    assert response.status_code == 200
    assert "13000 × 13000" in response.text
    organisation.refresh_from_db()
    assert not organisation.logo


def test_a_long_thin_logo_is_fitted_to_the_header(client, admin, organisation):
    client.post("/demo/gestion/parametres/", _settings(organisation, logo=_png(4100, 10)))
    organisation.refresh_from_db()
    with Image.open(organisation.logo) as stored:
        assert stored.width <= 600 and stored.height <= 200


def test_the_logo_can_be_removed(client, admin, organisation, django_capture_on_commit_callbacks):
    organisation_update_settings(
        actor=admin, organisation=organisation, values={}, logo=_png(100, 50).read()
    )
    organisation.refresh_from_db()
    stored = organisation.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/demo/gestion/parametres/", _settings(organisation, remove_logo="on"))
    organisation.refresh_from_db()
    assert not organisation.logo
    assert not organisation.logo.storage.exists(stored)
    assert client.get("/demo/logo/").status_code == 404
