import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user


@pytest.fixture
def parent(organisation):
    return guardian_user(organisation, first_name="Jeanne")


@pytest.fixture
def family(parent):
    return Guardian.objects.get(user=parent).family


@pytest.fixture
def child(organisation, family):
    return ChildFactory(organisation=organisation, first_name="Louise", families=[family])


@pytest.fixture
def manager(organisation):
    return UserFactory(organisation=organisation, role=Role.MANAGER, first_name="Claire")


def pdf_upload(name="attestation.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def png_upload(name="photo.png", size=(40, 40), exif=False) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 100, 50))
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        image.save(buffer, "JPEG", exif=data)
        return SimpleUploadedFile(name, buffer.getvalue())
    image.save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue())


def contact_values(**changes) -> dict:
    """The values of a contacts request: one authorised person, who may pick the child up."""
    person = {
        "first_name": "Odile",
        "last_name": "Martin",
        "relationship": "voisine",
        "phone": "0611223344",
        "can_pick_up": True,
        "emergency_contact": False,
    }
    return {"contacts": [{**person, **changes}]}
