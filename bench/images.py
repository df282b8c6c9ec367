"""Peak memory of re-encoding an uploaded photo, before and after bounding it.

    .venv/bin/python bench/images.py

Builds a 12-megapixel JPEG (4000 × 3000, a phone photo) and a 40-megapixel one (the
largest accepted), then, each in a fresh process, measures the peak resident memory of:
- "full decode": what uploads.py did before, decoding at full size then re-encoding;
- "check_upload": perisco.families.uploads.check_upload as it is now.
Prints how far the peak resident memory rose above what the process held before, in
MB (Linux: the peak is reset through /proc/self/clear_refs).
"""

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise LookupError(field)


def reset_peak() -> float:
    """Linux: forget the peak so far (Django's start-up), return the memory in use."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def make_photo(path: Path, size: tuple[int, int]) -> None:
    from PIL import Image

    gradient = Image.linear_gradient("L").resize(size)
    Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.ROTATE_180), gradient)).save(
        path, "JPEG", quality=90
    )


def child(method: str, path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perisco.config.settings.local")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageOps

    from perisco.families.uploads import check_upload

    data = Path(path).read_bytes()
    before = reset_peak()
    if method == "full decode":
        opened = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(opened) or opened
        image.convert("RGB").save(io.BytesIO(), "JPEG", quality=90)
    else:
        check_upload(SimpleUploadedFile("photo.jpg", data), images_only=True)
    print(json.dumps({"growth_mb": round(_status_mb("VmHWM") - before, 1)}))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for label, size in (("12 MP", (4000, 3000)), ("40 MP", (7300, 5475))):
            path = Path(folder) / f"{label}.jpg"
            make_photo(path, size)
            for method in ("full decode", "check_upload"):
                result = subprocess.run(  # noqa: S603 - this script, fixed arguments
                    [sys.executable, __file__, "--child", method, str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                growth = json.loads(result.stdout.strip().splitlines()[-1])["growth_mb"]
                print(f"{label:>6} {method:<13} peak RSS +{growth:7.1f} MB")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        main()
