import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from perisco.core.errors import DomainError
from perisco.families.models import Document, DocumentKind
from perisco.families.services import document_upload
from perisco.families.tests.conftest import pdf_upload, png_upload
from perisco.families.tests.factories import ChildFactory, FamilyFactory, guardian_user


def upload(organisation, family, file, kind=DocumentKind.OTHER, actor=None, **kwargs):
    return document_upload(
        actor=actor, organisation=organisation, upload=file, kind=kind, family=family, **kwargs
    )


def test_a_pdf_is_stored_with_a_random_name(organisation, family):
    document = upload(organisation, family, pdf_upload("Mon attestation CAF.pdf"))
    assert document.content_type == "application/pdf"
    assert "attestation" not in document.file.name
    assert document.file.name.startswith(f"documents/{organisation.pk}/")


def test_the_type_is_read_from_the_content_not_the_name(organisation, family):
    fake = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 this is a Windows program")
    with pytest.raises(DomainError, match="PDF, JPEG"):
        upload(organisation, family, fake)
    image_named_pdf = png_upload("scan.pdf")
    assert upload(organisation, family, image_named_pdf).content_type == "image/png"
    assert not Document.objects.filter(content_type="").exists()


def test_a_photo_must_be_an_image(organisation, family):
    with pytest.raises(DomainError, match=r"photo|JPEG or PNG"):
        upload(organisation, family, pdf_upload("photo.pdf"), kind=DocumentKind.PHOTO)
    broken = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    with pytest.raises(DomainError):
        upload(organisation, family, broken, kind=DocumentKind.PHOTO)
    assert Document.objects.count() == 0


def test_photos_lose_their_metadata(organisation, family):
    document = upload(
        organisation, family, png_upload("phone.jpg", exif=True), kind=DocumentKind.PHOTO
    )
    with document.file.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as image:
        assert image.format == "JPEG"
        assert not image.getexif()


def test_files_over_the_limit_are_refused(settings, organisation, family):
    settings.PERISCO_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    with pytest.raises(DomainError, match=r"too large|trop volumineux"):
        upload(organisation, family, big)
    assert Document.objects.count() == 0


def test_a_50_mb_upload_gets_a_clear_message_on_the_page(client, parent, family):
    client.cookies["perisco_language"] = "en"
    client.force_login(parent)
    big = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024))
    response = client.post("/demo/famille/documents/", {"kind": "other", "file": big})
    assert response.status_code == 200
    assert "This file is too large (50.0 MB); the limit is 10 MB" in response.text
    assert not Document.objects.exists()


class TestWhoMayOpenADocument:
    @pytest.fixture
    def document(self, organisation, family):
        return upload(organisation, family, pdf_upload())

    def url(self, document):
        return f"/demo/documents/{document.uuid}/"

    def test_the_family_opens_its_documents(self, client, parent, document):
        client.force_login(parent)
        response = client.get(self.url(document))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "private" in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]

    def test_another_family_gets_404(self, client, organisation, document):
        client.force_login(guardian_user(organisation))
        assert client.get(self.url(document)).status_code == 404

    def test_anonymous_visitors_get_404(self, client, document):
        assert client.get(self.url(document)).status_code == 404

    def test_staff_who_read_files_open_it_and_agents_do_not(self, client, organisation, document):
        from perisco.accounts.tests.factories import UserFactory

        client.force_login(UserFactory(organisation=organisation, role="finance"))
        assert client.get(self.url(document)).status_code == 200
        client.force_login(UserFactory(organisation=organisation, role="agent"))
        assert client.get(self.url(document)).status_code == 404

    def test_another_organisation_gets_404(self, client, other_organisation, document):
        from perisco.accounts.tests.factories import UserFactory

        client.force_login(UserFactory(organisation=other_organisation, role="manager"))
        assert client.get(self.url(document)).status_code == 404
        assert client.get(f"/val/documents/{document.uuid}/").status_code == 404

    def test_a_shared_childs_photo_shows_in_both_households(self, client, organisation, family):
        child = ChildFactory(organisation=organisation, families=[family])
        other_parent = guardian_user(organisation)
        from perisco.families.models import Guardian

        child.families.add(
            Guardian.objects.get(user=other_parent).family,
            through_defaults={"organisation": organisation},
        )
        photo = upload(organisation, family, png_upload(), kind=DocumentKind.PHOTO, child=child)
        child.photo = photo
        child.save()
        client.force_login(other_parent)
        assert client.get(self.url(photo)).status_code == 200

    def test_published_documents_are_for_the_organisations_users(self, client, organisation):

        document = document_upload(
            actor=None,
            organisation=organisation,
            upload=pdf_upload(),
            kind=DocumentKind.FORM,
            title="Fiche",
            published=True,
        )
        assert client.get(self.url(document)).status_code == 404
        client.force_login(guardian_user(organisation))
        assert client.get(self.url(document)).status_code == 200
        public = document_upload(
            actor=None,
            organisation=organisation,
            upload=pdf_upload(),
            kind=DocumentKind.RULES,
            title="Règlement",
            published=True,
            public=True,
        )
        client.logout()
        assert client.get(self.url(public)).status_code == 200
        assert client.get("/demo/").text.count(str(public.uuid)) == 1


def test_a_family_deletes_what_it_sent_but_not_anothers(client, organisation, parent, family):
    mine = upload(organisation, family, pdf_upload())
    theirs = upload(organisation, FamilyFactory(organisation=organisation), pdf_upload())
    client.force_login(parent)
    assert client.post(f"/demo/famille/documents/{theirs.pk}/supprimer/").status_code == 404
    client.post(f"/demo/famille/documents/{mine.pk}/supprimer/")
    assert list(Document.objects.all()) == [theirs]
