"""Attachments: checked by content, size- and pixel-limited, re-encoded, served privately."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from agencies.actions_files import MAX_FILE_BYTES, MAX_FILES_PER_POST, clean_upload
from agencies.models_actions import ActionAttachment, ActionPost, ActionVisibility
from tests.agencies.actions_support import (
    CANARY_CAMERA,
    GPS_IFD,
    jpeg_with_gps,
    make_post,
    png_bytes,
    private_media,  # noqa: F401
    stored_files,
    upload,
)

pytestmark = pytest.mark.usefixtures("private_media")

FAKE_IMAGE = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def _post_form(people: dict[str, Any], files: list[Any], **extra: Any) -> dict[str, Any]:
    data = {
        "organisation": people["orgs"]["ngo"].pk,
        "category": "awareness",
        "date": "2026-01-15",
        "place": "Sardhana",
        "text": "Awareness drive with posters.",
        "visibility": ActionVisibility.PARTNERS,
        "no_identity": "on",
        "files": files,
    }
    data.update(extra)
    return data


# --- the checks themselves ---------------------------------------------------------------


def test_html_renamed_to_jpg_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as exc:
        clean_upload(upload("photo.jpg", FAKE_IMAGE, "image/jpeg"))
    assert "Only images (JPEG, PNG, WebP) and PDF documents" in exc.value.messages[0]
    assert "whatever its name says" in exc.value.messages[0]


def test_jpeg_magic_with_garbage_is_refused_as_damaged() -> None:
    with pytest.raises(ValidationError) as exc:
        clean_upload(upload("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200))
    assert exc.value.code == "image_broken"


def test_oversized_file_is_refused() -> None:
    data = b"\xff\xd8\xff" + b"\x00" * MAX_FILE_BYTES
    with pytest.raises(ValidationError) as exc:
        clean_upload(upload("big.jpg", data))
    assert exc.value.code == "too_big"
    assert "5 MB" in exc.value.messages[0]


def test_image_above_the_pixel_cap_is_refused_before_decoding() -> None:
    buf = io.BytesIO()
    Image.new("L", (6000, 5000)).save(buf, "PNG")  # 30 MP, a few KB compressed
    assert len(buf.getvalue()) < MAX_FILE_BYTES
    with pytest.raises(ValidationError) as exc:
        clean_upload(upload("bomb.png", buf.getvalue(), "image/png"))
    assert exc.value.code == "too_many_pixels"


def test_gps_exif_is_stripped_and_the_image_reencoded() -> None:
    original = jpeg_with_gps()
    clean = clean_upload(upload("IMG_2041.jpg", original))
    assert clean.kind == "image" and clean.content_type == "image/jpeg"
    stored = Image.open(io.BytesIO(clean.data))
    assert stored.format == "JPEG"
    assert not stored.getexif()  # no EXIF at all, so no GPS
    assert b"Exif" not in clean.data
    assert CANARY_CAMERA.encode() not in clean.data
    assert clean.data != original


def test_png_text_chunks_do_not_survive() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "CANARY-PNG-TEXT-11aa")
    buf = io.BytesIO()
    Image.new("RGBA", (10, 10)).save(buf, "PNG", pnginfo=info)
    clean = clean_upload(upload("a.png", buf.getvalue(), "image/png"))
    assert b"CANARY-PNG-TEXT" not in clean.data
    assert Image.open(io.BytesIO(clean.data)).mode == "RGBA"


def test_webp_is_accepted_and_reencoded() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (20, 10), color=(1, 2, 3)).save(buf, "WEBP")
    clean = clean_upload(upload("a.webp", buf.getvalue(), "image/webp"))
    assert clean.content_type == "image/webp" and (clean.width, clean.height) == (20, 10)


def test_large_photo_is_scaled_down() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (4000, 1000)).save(buf, "JPEG")
    clean = clean_upload(upload("wide.jpg", buf.getvalue()))
    assert clean.width == 2560 and clean.height == 640


def test_a_pdf_is_accepted() -> None:
    clean = clean_upload(upload("report.pdf", MINIMAL_PDF, "application/pdf"))
    assert clean.kind == "pdf" and clean.data == MINIMAL_PDF


@pytest.mark.parametrize("name", [b"/JavaScript", b"/J#61vaScript", b"/Launch", b"/EmbeddedFile"])
def test_a_pdf_with_active_content_is_refused(name: bytes) -> None:
    data = MINIMAL_PDF.replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S " + name + b" >>"
    )
    with pytest.raises(ValidationError) as exc:
        clean_upload(upload("report.pdf", data, "application/pdf"))
    assert exc.value.code == "pdf_active"


def test_a_truncated_pdf_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        clean_upload(upload("report.pdf", MINIMAL_PDF[:60], "application/pdf"))
    assert exc.value.code == "pdf_broken"


# --- through the page ------------------------------------------------------------------


def test_posting_a_fake_image_shows_why_and_stores_nothing(
    personas: dict[str, Any],
    login: Any,
    private_media: Any,  # noqa: F811
) -> None:
    response = login(personas["ngo_coordinator"]).post(
        "/actions/new/", _post_form(personas, [upload("evil.jpg", FAKE_IMAGE)])
    )
    assert response.status_code == 400
    assert "File 1: Only images (JPEG, PNG, WebP) and PDF documents" in response.content.decode()
    assert not ActionPost.objects.exists()
    assert stored_files(private_media) == []


def test_posting_an_oversized_file_is_refused(personas: dict[str, Any], login: Any) -> None:
    big = b"\xff\xd8\xff" + b"\x00" * MAX_FILE_BYTES
    response = login(personas["ngo_coordinator"]).post(
        "/actions/new/", _post_form(personas, [upload("big.jpg", big)])
    )
    assert response.status_code == 400
    assert "A file may be at most 5 MB." in response.content.decode()
    assert not ActionPost.objects.exists()


def test_more_files_than_allowed_are_refused(personas: dict[str, Any], login: Any) -> None:
    files = [upload(f"p{i}.png", png_bytes(), "image/png") for i in range(MAX_FILES_PER_POST + 1)]
    response = login(personas["ngo_coordinator"]).post("/actions/new/", _post_form(personas, files))
    assert response.status_code == 400
    assert f"At most {MAX_FILES_PER_POST} files" in response.content.decode()
    assert not ActionPost.objects.exists()


def test_gps_photo_posted_through_the_page_is_stored_without_it(
    personas: dict[str, Any],
    login: Any,
    private_media: Any,  # noqa: F811
) -> None:
    response = login(personas["ngo_coordinator"]).post(
        "/actions/new/", _post_form(personas, [upload("Priya at home.jpg", jpeg_with_gps())])
    )
    assert response.status_code == 302
    attachment = ActionAttachment.objects.get()
    # A random name: the uploaded name (which may name a child) is not kept anywhere.
    assert "Priya" not in attachment.file.name and attachment.file.name.endswith(".jpg")
    files = stored_files(private_media)
    assert len(files) == 1 and files[0].stat().st_mode & 0o077 == 0
    data = files[0].read_bytes()
    assert not Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    assert not Image.open(io.BytesIO(data)).getexif()
    assert CANARY_CAMERA.encode() not in data


def test_download_is_an_attachment_in_a_sandbox(personas: dict[str, Any], login: Any) -> None:
    post = make_post(personas, files=[upload("a.png", png_bytes(), "image/png")])
    attachment = post.attachments.get()
    response = login(personas["cwc_member"]).get(f"/actions/files/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f'filename="ftu-action-{post.pk}-1.png"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).size == (8, 6)


def test_media_cannot_download_a_partner_only_attachment(
    personas: dict[str, Any], login: Any
) -> None:
    post = make_post(personas, files=[upload("a.png", png_bytes(), "image/png")])
    attachment = post.attachments.get()
    assert (
        login(personas["media_member"]).get(f"/actions/files/{attachment.pk}/").status_code == 404
    )
    assert login(personas["media_member"]).get("/actions/files/999999/").status_code == 404


def test_media_can_download_a_public_attachment(personas: dict[str, Any], login: Any) -> None:
    post = make_post(
        personas,
        visibility=ActionVisibility.PUBLIC,
        files=[upload("a.png", png_bytes(), "image/png")],
    )
    attachment = post.attachments.get()
    assert (
        login(personas["media_member"]).get(f"/actions/files/{attachment.pk}/").status_code == 200
    )


def test_a_direct_storage_path_is_not_served(
    personas: dict[str, Any],
    login: Any,
    private_media: Any,  # noqa: F811
) -> None:
    post = make_post(personas, files=[upload("a.png", png_bytes(), "image/png")])
    attachment = post.attachments.get()
    name = attachment.file.name
    client = login(personas["convenor"])
    for path in (
        f"/{name}",
        f"/media/{name}",
        f"/media/actions/{name}",
        f"/uploads/actions/{name}",
        f"/actions/{name}",
        f"/static/{name}",
    ):
        assert client.get(path).status_code == 404, path
    with pytest.raises(ValueError, match="no public URL"):
        attachment.file.url  # noqa: B018
    assert (private_media / "actions" / name).is_file()


def test_download_rejects_post(personas: dict[str, Any], login: Any) -> None:
    post = make_post(personas, files=[upload("a.png", png_bytes(), "image/png")])
    attachment = post.attachments.get()
    assert login(personas["convenor"]).post(f"/actions/files/{attachment.pk}/").status_code == 405


def test_files_are_removed_when_the_post_rolls_back(
    personas: dict[str, Any],
    monkeypatch: Any,
    private_media: Any,  # noqa: F811
) -> None:
    from agencies import services_actions

    def broken_audit(**kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services_actions.audit, "record", broken_audit)
    with pytest.raises(RuntimeError):
        make_post(personas, files=[upload("a.png", png_bytes(), "image/png")])
    assert not ActionPost.objects.exists()
    assert stored_files(private_media) == []
