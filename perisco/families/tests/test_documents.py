import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
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


def _small_jpeg(size=(16, 16), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(buffer, "JPEG", **save)
    return buffer.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header says width × height: what a 2 MB JPEG of a huge
    plain picture looks like to a decoder, without this test building one."""
    data = bytearray(_small_jpeg())
    sof = data.index(b"\xff\xc0")  # start of frame: length, precision, height, width
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_claiming(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc_end = ihdr + 4 + 13
    data[crc_end : crc_end + 4] = struct.pack(">I", zlib.crc32(bytes(data[ihdr:crc_end])))
    return bytes(data)


@pytest.mark.parametrize("kind", [DocumentKind.PHOTO, DocumentKind.OTHER])
@pytest.mark.parametrize("claiming", [jpeg_claiming, png_claiming])
def test_an_image_of_too_many_pixels_is_refused_from_its_header(
    organisation, family, kind, claiming
):
    """13,000 × 13,000 pixels would take 500 MB to decode: refused before decoding, with
    the reason and the limit."""
    huge = SimpleUploadedFile("huge.jpg", claiming(13_000, 13_000))
    with (
        translation.override("en"),
        pytest.raises(DomainError, match=r"too large \(13000 × 13000 pixels\).*40 megapixels"),
    ):
        upload(organisation, family, huge, kind=kind)
    assert Document.objects.count() == 0


def test_the_pixel_limit_is_a_setting(settings, organisation, family):
    settings.PERISCO_MAX_IMAGE_MEGAPIXELS = 1
    with translation.override("en"), pytest.raises(DomainError, match=r"1 megapixels"):
        upload(organisation, family, SimpleUploadedFile("p.jpg", jpeg_claiming(1200, 1000)))
    upload(organisation, family, SimpleUploadedFile("p.jpg", _small_jpeg((1000, 1000))))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_large_images_are_stored_reduced_to_the_longest_side(settings, organisation, family, fmt):
    settings.PERISCO_MAX_IMAGE_SIDE = 100
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 120, 40)).save(buffer, fmt)
    document = upload(
        organisation, family, SimpleUploadedFile("scan", buffer.getvalue()), kind=DocumentKind.PHOTO
    )
    with document.file.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as image:
        assert (image.format, image.size) == (fmt, (100, 75))


def test_a_phone_photo_taken_sideways_is_stored_upright(settings, organisation, family):
    settings.PERISCO_MAX_IMAGE_SIDE = 100
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    photo = SimpleUploadedFile("p.jpg", _small_jpeg((400, 200), exif=exif))
    document = upload(organisation, family, photo, kind=DocumentKind.PHOTO)
    with document.file.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as image:
        assert image.size == (50, 100)


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
