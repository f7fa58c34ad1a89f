"""Checking and cleaning files attached to action posts (images and PDFs only).

The type is decided by the content, never by the name or the browser's content type: magic
bytes first, then, for images, a full decode by Pillow under a pixel cap.  Images are then
re-encoded from their pixels alone, so nothing of the original file survives but the picture:
no EXIF (GPS, camera serial, time), no XMP, no ICC profile, no comment, no trailing bytes.
PDFs cannot be re-encoded without a PDF library; they are checked for their structure and
refused when they carry active content, and are only ever served as downloads in a sandbox.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES_PER_POST = 4
MAX_PIXELS = 25_000_000  # a 25-megapixel photo; decompression bombs stop here, before decoding
MAX_SIDE = 2560  # stored images are scaled down to this: enough to read, light on a slow phone

_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"%PDF-", "PDF"),
)
_CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "PDF": "application/pdf",
}
_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "PDF": "pdf"}
# PDF names that run code, open other files or carry hidden files.  (An /OpenAction alone is
# common and harmless, e.g. "open at page 1, fit width"; what it could run is named below.)
_PDF_ACTIVE = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"RichMedia",
        b"XFA",
        b"SubmitForm",
        b"ImportData",
    }
)
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]{1,64})")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")


def _pdf_names(data: bytes) -> set[bytes]:
    """Every /Name in the file's uncompressed parts, with #xx escapes decoded (/J#61vaScript)."""
    return {
        _PDF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        for match in _PDF_NAME.finditer(data)
    }


@dataclass(frozen=True)
class CleanFile:
    """A checked file, ready to store: its bytes are the ones that will be served."""

    kind: str  # "image" | "pdf"
    content_type: str
    extension: str
    data: bytes
    width: int | None = None
    height: int | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def as_content_file(self) -> ContentFile:
        return ContentFile(self.data, name=f"upload.{self.extension}")


def sniff(head: bytes) -> str | None:
    """The format named by the first bytes, or None."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return fmt
    return None


def _read(upload: Any) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise _too_big()
    upload.seek(0)
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _too_big()
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    return bytes(data)


def _too_big() -> ValidationError:
    return ValidationError(
        _("A file may be at most %(mb)s MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)},
        code="too_big",
    )


def _not_allowed() -> ValidationError:
    return ValidationError(
        _(
            "Only images (JPEG, PNG, WebP) and PDF documents can be attached. This file's "
            "content is neither, whatever its name says."
        ),
        code="type",
    )


def clean_upload(upload: Any) -> CleanFile:
    """Check one uploaded file and return its clean copy, or raise ValidationError."""
    data = _read(upload)
    fmt = sniff(data[:16])
    if fmt is None:
        raise _not_allowed()
    if fmt == "PDF":
        return _clean_pdf(data)
    return _clean_image(data, fmt)


def _clean_pdf(data: bytes) -> CleanFile:
    if b"%%EOF" not in data[-2048:]:
        raise ValidationError(_("This PDF is damaged or incomplete."), code="pdf_broken")
    if _pdf_names(data) & _PDF_ACTIVE:
        raise ValidationError(
            _(
                "This PDF contains scripts, actions or embedded files, which are not accepted. "
                "Print it to a new PDF and attach that."
            ),
            code="pdf_active",
        )
    return CleanFile(
        kind="pdf", content_type=_CONTENT_TYPES["PDF"], extension=_EXTENSIONS["PDF"], data=data
    )


def _clean_image(data: bytes, fmt: str) -> CleanFile:
    broken = ValidationError(
        _("This image could not be read: it is damaged or not really an image."),
        code="image_broken",
    )
    with warnings.catch_warnings():
        # A decompression bomb is an error here, never a warning.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise ValidationError(
                        _("This image is too large (at most %(mp)s megapixels).")
                        % {"mp": MAX_PIXELS // 1_000_000},
                        code="too_many_pixels",
                    )
                if getattr(probe, "n_frames", 1) > 1:
                    raise ValidationError(_("Animated images are not accepted."), code="animated")
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                image.load()
                # Turn the picture upright first: orientation lives in EXIF, which goes.
                upright = ImageOps.exif_transpose(image)
                pixels = _plain_pixels(upright, fmt)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(
                _("This image is too large (at most %(mp)s megapixels).")
                % {"mp": MAX_PIXELS // 1_000_000},
                code="too_many_pixels",
            ) from None
        except Exception:  # noqa: BLE001 - any decoder error means a file we will not keep
            raise broken from None
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        pixels.save(out, "PNG", optimize=True)
    else:
        pixels.save(out, "WEBP", quality=85)
    return CleanFile(
        kind="image",
        content_type=_CONTENT_TYPES[fmt],
        extension=_EXTENSIONS[fmt],
        data=out.getvalue(),
        width=pixels.width,
        height=pixels.height,
    )


def _plain_pixels(image: Image.Image, fmt: str) -> Image.Image:
    """A new image built from the pixels only: it carries no ``info`` (EXIF, XMP, ICC...)."""
    if fmt == "JPEG":
        mode = "L" if image.mode in ("1", "L") else "RGB"
    else:
        mode = image.mode if image.mode in ("L", "LA", "RGB", "RGBA") else "RGBA"
    converted = image.convert(mode) if image.mode != mode else image
    return Image.frombytes(mode, converted.size, converted.tobytes())
