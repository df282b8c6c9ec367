"""Checks on files families and staff send: size, and the type read from the content
(never from the name). Images are re-encoded, which drops their metadata (a phone photo's
GPS position, for one)."""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from perisco.core.errors import DomainError

SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
IMAGE_TYPES = ("image/jpeg", "image/png")


@dataclass(frozen=True)
class CheckedFile:
    content: ContentFile
    content_type: str
    size: int


def max_upload_bytes() -> int:
    return settings.PERISCO_MAX_UPLOAD_MB * 1024 * 1024


def check_upload(upload: UploadedFile, *, images_only: bool = False) -> CheckedFile:
    limit = max_upload_bytes()
    if upload.size is None or upload.size > limit:
        raise DomainError(
            _(
                "This file is too large (%(size)s MB); the limit is %(limit)s MB. Scan it at a "
                "lower resolution or as a PDF, then try again."
            )
            % {
                "size": round((upload.size or 0) / 1024 / 1024, 1),
                "limit": settings.PERISCO_MAX_UPLOAD_MB,
            },
            field="file",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = next((t for sig, t in SIGNATURES.items() if head.startswith(sig)), None)
    allowed = IMAGE_TYPES if images_only else tuple(SIGNATURES.values())
    if content_type not in allowed:
        message = (
            _("This file is not a photo: send a JPEG or PNG image.")
            if images_only
            else _(
                "This file is not a PDF, JPEG or PNG document; whatever its name, it cannot "
                "be accepted."
            )
        )
        raise DomainError(message, field="file")
    data = upload.read()
    if content_type in IMAGE_TYPES:
        data = _reencoded(data, content_type)
    return CheckedFile(ContentFile(data), content_type, len(data))


def _reencoded(data: bytes, content_type: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        opened = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(opened) or opened
        output = io.BytesIO()
        if content_type == "image/jpeg":
            image.convert("RGB").save(output, "JPEG", quality=90)
        else:
            image.save(output, "PNG")
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        raise DomainError(_("This image is damaged and cannot be read."), field="file") from error
    return output.getvalue()
