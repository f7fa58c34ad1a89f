from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from icalendar import Calendar

from meetings import pdf
from tests.meetings import factories

HINDI_TITLE = "बाल संरक्षण समीक्षा"


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def published(personas: dict[str, Any]) -> Any:
    meeting = factories.schedule(personas)
    factories.agenda(personas, meeting, HINDI_TITLE)
    factories.agenda(
        personas, meeting, "Secret raid follow-up", confidential_for=("ngo_counsellor",)
    )
    from meetings import services

    meeting = services.meeting_mark_held(actor=personas["convenor"], meeting=meeting)
    draft = services.minutes_start(actor=personas["convenor"], meeting=meeting)
    return factories.publish(personas, draft)


@pytest.mark.skipif(not pdf.pdf_available(), reason="WeasyPrint's system libraries are missing")
def test_pdf_of_published_minutes_renders_hindi(
    personas: dict[str, Any], login: Any, published: Any
) -> None:
    response = login(personas["ngo_coordinator"]).get(
        reverse("meetings:minutes_pdf", args=[published.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert HINDI_TITLE in text
    # Not named on the confidential item: it is withheld from this reader's copy.
    assert "Secret raid follow-up" not in text
    assert "withheld" in text


@pytest.mark.skipif(not pdf.pdf_available(), reason="WeasyPrint's system libraries are missing")
def test_pdf_includes_confidential_item_for_named_person(
    personas: dict[str, Any], login: Any, published: Any
) -> None:
    response = login(personas["ngo_counsellor"]).get(
        reverse("meetings:minutes_pdf", args=[published.pk])
    )
    assert "Secret raid follow-up" in _pdf_text(response.content)


def test_pdf_unavailable_is_said_not_failed(
    personas: dict[str, Any], login: Any, published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "_weasyprint", lambda: None)
    client = login(personas["ngo_coordinator"])
    response = client.get(reverse("meetings:minutes_pdf", args=[published.pk]))
    assert response.status_code == 503
    assert "PDF export is unavailable" in response.content.decode()
    page = client.get(published.get_absolute_url()).content.decode()
    assert "PDF export is unavailable" in page
    assert reverse("meetings:minutes_pdf", args=[published.pk]) not in page


def test_pdf_of_draft_minutes_is_refused(personas: dict[str, Any], login: Any) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    response = login(personas["convenor"]).get(reverse("meetings:minutes_pdf", args=[draft.pk]))
    assert response.status_code == 302


def test_ics_parses_with_the_kolkata_zone(personas: dict[str, Any], login: Any) -> None:
    meeting = factories.schedule(personas)
    factories.agenda(personas, meeting, "Confidential-free title")
    response = login(personas["station_officer"]).get(
        reverse("meetings:meeting_ics", args=[meeting.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Asia/Kolkata"
    [event] = cal.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "Asia/Kolkata"
    assert start == meeting.start
    assert event.decoded("DTEND") == meeting.end
    assert str(event["SUMMARY"]) == meeting.title
    assert str(event["UID"]) == meeting.uid
    assert "Confidential-free title" not in response.content.decode()  # never the agenda


def test_ics_is_404_for_someone_not_invited(personas: dict[str, Any], login: Any) -> None:
    meeting = factories.schedule(personas)
    for key in ("ahtu_officer", "media_member", "outsider"):
        assert (
            login(personas[key]).get(reverse("meetings:meeting_ics", args=[meeting.pk])).status_code
            == 404
        )
