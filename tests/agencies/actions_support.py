"""Builders shared by the actions-feed tests and samples (files, posts)."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from agencies.models_actions import ActionCategory, ActionPost, ActionVisibility
from agencies.services_actions import action_post

GPS_IFD = 0x8825
CANARY_CAMERA = "CANARY-CAMERA-5d1c"


def png_bytes(size: tuple[int, int] = (8, 6), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color=0 if mode == "L" else (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF holds a GPS position and a canary camera model."""
    exif = Image.Exif()
    exif[0x0110] = CANARY_CAMERA  # Model
    exif[GPS_IFD] = {
        1: "N",
        2: (28.0, 59.0, 3.5),
        3: "E",
        4: (77.0, 42.0, 21.25),
    }
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color=(10, 120, 200)).save(buf, "JPEG", exif=exif.tobytes())
    data = buf.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "test image lacks GPS"
    return data


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def make_post(
    people: dict[str, Any],
    *,
    author: str = "ngo_coordinator",
    org: str = "ngo",
    visibility: str = ActionVisibility.PARTNERS,
    category: str = ActionCategory.AWARENESS,
    text: str = "Awareness drive in two markets with street plays.",
    days_ago: int = 1,
    files: list[Any] | None = None,
) -> ActionPost:
    return action_post(
        actor=people[author],
        organisation=people["orgs"][org],
        category=category,
        date=timezone.localdate() - datetime.timedelta(days=days_ago),
        place="Sardhana",
        text=text,
        visibility=visibility,
        files=files or [],
    )


@pytest.fixture
def private_media(settings: Any, tmp_path: Path) -> Path:
    """Attachments go to a temporary MEDIA_ROOT, emptied after the test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]
