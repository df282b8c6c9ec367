"""Checks on files families and staff send: size, and the type read from the content
(never from the name). Images are re-encoded, which drops their metadata (a phone photo's
GPS position, for one)."""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError

from perisco.core.errors import DomainError

SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
IMAGE_TYPES = ("image/jpeg", "image/png")
HEADER_READERS = {
    "image/jpeg": JpegImagePlugin.JpegImageFile,
    "image/png": PngImagePlugin.PngImageFile,
}


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


def _pixel_size(data: bytes, content_type: str) -> tuple[int, int]:
    """Width and height read from the file's header; nothing is decoded (Image.open would
    also run Pillow's own decompression-bomb check, with a warning or an error of its own
    before ours could say anything useful)."""
    with HEADER_READERS[content_type](io.BytesIO(data)) as header:
        return header.size


def _refuse_oversized(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > settings.PERISCO_MAX_IMAGE_MEGAPIXELS * 1_000_000:
        raise DomainError(
            _(
                "This image is too large (%(width)s × %(height)s pixels); the limit is "
                "%(limit)s megapixels. Send a photo taken at a lower resolution, or a scan "
                "as a PDF."
            )
            % {
                "width": width,
                "height": height,
                "limit": settings.PERISCO_MAX_IMAGE_MEGAPIXELS,
            },
            field="file",
        )


def _reencoded(data: bytes, content_type: str) -> bytes:
    """The image re-encoded at most PERISCO_MAX_IMAGE_SIDE pixels on its long side. The
    memory it takes is bounded: the size is checked on the header first, and a JPEG is
    decoded straight at 1/2, 1/4 or 1/8 of its size when that is enough (libjpeg's
    scaling), so a 12-megapixel phone photo never sits in memory at full size."""
    try:
        _refuse_oversized(_pixel_size(data, content_type))
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        opened = Image.open(io.BytesIO(data))
        scale = min(1.0, settings.PERISCO_MAX_IMAGE_SIDE / max(opened.size))
        target = (max(1, round(opened.width * scale)), max(1, round(opened.height * scale)))
        opened.draft(None, target)  # JPEG only; PNG ignores it
        opened.thumbnail(target)
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
