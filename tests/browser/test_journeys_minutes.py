"""Journey 4 of issue #9: minutes from a meeting to the PDF, on two phones, in English and Hindi.

The convenor schedules a meeting through the pages, adds an agenda item, marks it held and
drafts the minutes; circulates and submits them.  The MP's office reviewer returns them with
a comment; the convenor reads the comment, revises and submits again; the reviewer approves;
the convenor publishes and downloads the PDF, which carries the revised text.

Buttons and links are found by their accessible names in the page's language (the hub's own
catalogue gives the Hindi), so an untranslated control fails the Hindi run.
"""

from __future__ import annotations

import datetime
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.text import capfirst

from .conftest import Hub, log_in, no_horizontal_scroll, overflowing

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
IST = ZoneInfo("Asia/Kolkata")

#: What each run writes: Hindi officials write in Hindi.
TEXT = {
    "en": {
        "title": "Journey review meeting (en)",
        "item": "Shelter capacity and transfers",
        "discussion": "Twenty-seven of thirty beds are in use.",
        "decisions": "Arrange ten more beds. [J4-en-draft]",
        "comment": "Say who arranges the beds and by when.",
        "revised": "The DCPU arranges ten more beds by the 15th. [J4-en-revised]",
    },
    "hi": {
        "title": "यात्रा परीक्षण समीक्षा बैठक (hi)",
        "item": "आश्रय गृह की क्षमता और स्थानांतरण",
        "discussion": "तीस में से सत्ताईस बिस्तर भरे हैं।",
        "decisions": "दस और बिस्तरों की व्यवस्था की जाए। [J4-hi-draft]",
        "comment": "बताएँ कि बिस्तरों की व्यवस्था कौन और कब तक करेगा।",
        "revised": "डीसीपीयू 15 तारीख तक दस और बिस्तरों की व्यवस्था करेगा। [J4-hi-revised]",
    },
}


def t(lang: str, message: str) -> str:
    """The hub's own wording of ``message`` in ``lang``."""
    with translation.override(lang):
        return translation.gettext(message)


def label(lang: str, message: str, context: str = "") -> re.Pattern[str]:
    """A form field's label as Django renders it (capitalised, with its colon)."""
    with translation.override(lang):
        text = translation.pgettext(context, message) if context else translation.gettext(message)
    return re.compile(rf"^{re.escape(capfirst(text))}\s*:?$")


#: The model fields' context for "title" (a heading, not a person's job title).
HEADING = "a heading, not a job title"


def check(page: Any, lang: str) -> None:
    """Every step's page: fits the phone, and in Hindi its main heading is Hindi."""
    assert no_horizontal_scroll(page), f"{page.url} scrolls sideways: {overflowing(page)}"
    heading = page.locator("main h1").first.inner_text()
    if lang == "hi":
        assert DEVANAGARI.search(heading), f"{page.url}: heading {heading!r} is not in Hindi"


def success(page: Any, lang: str, message: str) -> None:
    """The hub confirms the step with its message, in the page's language."""
    assert page.locator("ul.messages li.success").filter(has_text=t(lang, message)).is_visible()


def click(page: Any, role: str, lang: str, name: str) -> None:
    page.get_by_role(role, name=t(lang, name), exact=True).click()
    page.wait_for_load_state("networkidle")


def open_menu_item(page: Any, lang: str, label: str) -> None:
    """Open the folded phone menu and follow one of its entries."""
    page.locator("#main-menu > summary").click()
    page.locator("nav.main-nav").get_by_role("link", name=t(lang, label), exact=True).click()
    page.wait_for_load_state("networkidle")


def open_minutes(page: Any, lang: str, title: str) -> None:
    """From anywhere: Meetings → the meeting → its minutes (version 1)."""
    open_menu_item(page, lang, "Meetings")
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_load_state("networkidle")
    with translation.override(lang):
        version = translation.gettext("Version %(n)s") % {"n": 1}
    page.get_by_role("link", name=version, exact=True).click()
    page.wait_for_load_state("networkidle")


def edit_item(page: Any, shots: Any, lang: str, item: str, discussion: str, decisions: str) -> None:
    section = page.locator("section.minutes-item").filter(has_text=item)
    section.get_by_role("link", name=t(lang, "Edit"), exact=True).click()
    page.wait_for_load_state("networkidle")
    check(page, lang)
    page.get_by_label(label(lang, "Discussion")).fill(discussion)
    page.get_by_label(label(lang, "Decisions")).fill(decisions)
    shots(page, "convenor-edits-item")
    click(page, "button", lang, "Save")
    success(page, lang, "The minutes of this item are saved.")


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_minutes_returned_revised_approved_and_downloaded(
    hub: Hub, phone: Any, shots: Any, lang: str
) -> None:
    text = TEXT[lang]
    convenor = log_in(phone(lang), "convenor", lang)
    reviewer = log_in(phone(lang), "mp_reviewer", lang)

    # --- the convenor schedules a meeting that began two hours ago -----------------------
    open_menu_item(convenor, lang, "Meetings")
    check(convenor, lang)
    shots(convenor, "convenor-meetings")
    click(convenor, "link", lang, "Schedule a meeting")
    check(convenor, lang)
    start = datetime.datetime.now(IST).replace(second=0, microsecond=0) - datetime.timedelta(
        hours=2
    )
    form = convenor.locator("main form")
    form.get_by_label(label(lang, "title", HEADING)).fill(text["title"])
    form.get_by_label(label(lang, "kind")).select_option("monthly_review")
    form.get_by_label(label(lang, "starts")).fill(start.strftime("%Y-%m-%dT%H:%M"))
    end = start + datetime.timedelta(hours=1)
    form.get_by_label(label(lang, "ends")).fill(end.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label(label(lang, "venue")).fill("Collectorate meeting hall")
    # A monthly review invites every partner organisation, the MP's office among them.
    for box in form.locator("#id_invited_organisations input[type=checkbox]").all():
        box.check()
    shots(convenor, "convenor-schedules")
    click(convenor, "button", lang, "Schedule and send invitations")
    success(convenor, lang, "The meeting is scheduled and the invitations are sent.")
    check(convenor, lang)
    assert convenor.locator("main h1").first.inner_text().startswith(text["title"])

    click(convenor, "link", lang, "Add an agenda item")
    check(convenor, lang)
    convenor.locator("main form").get_by_label(label(lang, "title", HEADING)).fill(text["item"])
    click(convenor, "button", lang, "Save")
    success(convenor, lang, "The agenda item is added.")
    click(convenor, "button", lang, "Mark as held")
    success(convenor, lang, "The meeting is marked as held.")
    shots(convenor, "convenor-meeting-held")

    # --- drafts, circulates and submits the minutes ----------------------------------------
    click(convenor, "button", lang, "Draft the minutes")
    check(convenor, lang)
    edit_item(convenor, shots, lang, text["item"], text["discussion"], text["decisions"])
    shots(convenor, "convenor-draft")
    click(convenor, "button", lang, "Circulate for comments")
    success(convenor, lang, "The draft is circulated for comments.")
    click(convenor, "button", lang, "Submit to the MP's office")
    success(convenor, lang, "The minutes are submitted to the MP's office.")
    check(convenor, lang)
    shots(convenor, "convenor-submitted")

    # --- the MP's office returns them with a comment ---------------------------------------
    open_minutes(reviewer, lang, text["title"])
    check(reviewer, lang)
    assert reviewer.get_by_text(text["decisions"]).is_visible()
    reviewer.get_by_label(label(lang, "What should change")).fill(text["comment"])
    shots(reviewer, "reviewer-returns")
    click(reviewer, "button", lang, "Return with comments")
    success(reviewer, lang, "The minutes are returned to the convenor.")
    check(reviewer, lang)
    shots(reviewer, "reviewer-returned")

    # --- the convenor reads the comment, revises and submits again -------------------------
    convenor.reload()
    check(convenor, lang)
    returned = convenor.locator("main .message.warning").filter(
        has_text=t(lang, "Returned by the MP's office with comments:")
    )
    assert text["comment"] in returned.inner_text()
    shots(convenor, "convenor-reads-comment")
    edit_item(convenor, shots, lang, text["item"], text["discussion"], text["revised"])
    click(convenor, "button", lang, "Submit again to the MP's office")
    success(convenor, lang, "The minutes are submitted to the MP's office.")
    shots(convenor, "convenor-resubmitted")

    # --- the reviewer approves --------------------------------------------------------------
    reviewer.reload()
    check(reviewer, lang)
    assert reviewer.get_by_text(text["revised"]).is_visible()
    assert not reviewer.get_by_text(text["decisions"]).count()
    click(reviewer, "button", lang, "Approve")
    success(reviewer, lang, "The minutes are approved.")
    check(reviewer, lang)
    shots(reviewer, "reviewer-approved")

    # --- the convenor publishes, and the PDF downloads --------------------------------------
    convenor.reload()
    click(convenor, "button", lang, "Publish")
    success(convenor, lang, "The minutes are published.")
    check(convenor, lang)
    shots(convenor, "convenor-published")
    with convenor.expect_download() as info:
        convenor.get_by_role("link", name=t(lang, "Download PDF"), exact=True).click()
    download = info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename.endswith(".pdf")
    kept = shots.dir / download.suggested_filename
    download.save_as(kept)
    data = kept.read_bytes()
    assert data.startswith(b"%PDF"), data[:20]

    from pypdf import PdfReader

    pdf_text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    assert f"[J4-{lang}-revised]" in pdf_text
    assert f"[J4-{lang}-draft]" not in pdf_text
    if lang == "hi":
        # The Hindi copy is in Hindi: headings and the text the convenor wrote.
        assert DEVANAGARI.search(pdf_text), pdf_text[:200]

    # What was stored: the workflow went through the return and its comment.
    state = hub.shell(
        "from meetings.models import Minutes; "
        f"m = Minutes.objects.get(meeting__title={text['title']!r}); "
        "print(m.state, m.reviewed_by.email, repr(m.review_comments))"
    ).strip()
    assert state.startswith("published mp.reviewer@"), state
    assert text["comment"] in state
