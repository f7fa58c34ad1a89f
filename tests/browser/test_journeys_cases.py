"""Journeys 1–3 of a rescued child's case, in a real browser at phone size, in English and Hindi.

1. An AHTU officer records a rescue through the case form; the case page shows its
   statutory clocks; the officer refers the child to the CWC and to an NGO.
2. The NGO's coordinator, with the referral inbox open, sees the referral arrive without
   reloading (websocket notification, htmx fragment refresh), accepts it and names a
   counsellor.
3. The counsellor records a lead about an offender; the police unit sees the lead, and
   nowhere on its pages the child's identity.

Each person has their own browser context.  Labels are looked up in the hub's own catalogue
(``tr``), so the same steps drive both languages.  On every page visited: in Hindi every
heading of the page is in Devanagari; at 360 px neither the page nor any table scrolls
sideways.  Toasts are dismissed before a tap, as a person would.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from agencies.demo import ORGS

from .conftest import PHONE, log_in, no_horizontal_scroll

IST = ZoneInfo("Asia/Kolkata")
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
CASE_CODE = re.compile(r"FTU-\d{4}-\d{4,}")
LEAD = {
    "en": "Man of about 40, called 'Bhaiya', gold chain, brought girls from the bus stand.",
    "hi": "लगभग 40 साल का आदमी, 'भैया' कहलाता है, सोने की चेन, बस अड्डे से लड़कियाँ लाता था।",
}
# The clocks that start when a rescued child's case is recorded (referrals/clock_rules.py).
RESCUE_CLOCKS = (
    "Emergency medical care",
    "Report to the CWC and the Special Court",
    "Production before the CWC",
)


def tr(lang: str, msgid: str) -> str:
    """``msgid`` as the hub shows it in ``lang`` (its own Hindi catalogue)."""
    with translation.override(lang):
        return translation.gettext(msgid)


def field(scope: Any, lang: str, msgid: str) -> Any:
    """The form field labelled ``msgid`` (exactly; Django may add its colon)."""
    label = re.escape(tr(lang, msgid))
    return scope.get_by_label(re.compile(rf"^\s*{label}\s*:?\s*$"))


def said(page: Page) -> Any:
    """The page's messages (the answer to what the person just did)."""
    return page.get_by_role("main").get_by_role("status")


def org_name(key: str, lang: str) -> str:
    spec = next(o for o in ORGS if o.key == key)
    return spec.name_hi if lang == "hi" else spec.name


@dataclass
class Child:
    """What the officer types about the child: unique per run, so a leak cannot hide."""

    name: str
    guardian: str
    address: str

    @classmethod
    def new(cls, lang: str) -> Child:
        tag = uuid.uuid4().hex[:8]
        if lang == "hi":
            return cls(f"गुड़िया {tag}", f"रामकली {tag}", f"गली नंबर 4, {tag} नगर")
        return cls(f"Gudiya {tag}", f"Ramkali {tag}", f"Lane 4, {tag} Nagar")

    def markers(self) -> list[str]:
        return [self.name, self.guardian, self.address, self.name.split()[-1]]


def check_page(page: Page, lang: str, shots: Any, step: str) -> None:
    """What every page visited must hold: the language, no sideways scroll, a heading in Hindi."""
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == lang
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_be_visible()
    if lang == "hi":
        headings = page.locator("main").get_by_role("heading").all_inner_texts()
        english = [text for text in headings if not DEVANAGARI.search(text)]
        assert not english, f"{step}: headings not in Hindi: {english}"
    shots(page, f"{step}-{lang}")
    assert no_horizontal_scroll(page), f"{step}: the page scrolls sideways at 360 px"
    hidden = page.evaluate(
        """() => [...document.querySelectorAll('.table-wrap')]
            .filter(w => w.scrollWidth > w.clientWidth + 1)
            .map(w => (w.querySelector('caption') || w).textContent.trim())"""
    )
    assert not hidden, f"{step}: tables cut off at 360 px (scroll sideways): {hidden}"


def within_screen(locator: Any, what: str) -> None:
    """Reachable on a 360 px screen without scrolling sideways (not hidden past the edge)."""
    box = locator.bounding_box()
    assert box is not None, f"{what} is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
        f"{what} lies outside the phone's width: {box}"
    )


def check_timeline(page: Page, lang: str) -> None:
    """The case's timeline is in the reader's language, organisations by their Hindi names."""
    timeline = page.get_by_role("region", name=tr(lang, "Timeline"))
    expect(timeline.get_by_role("listitem").first).to_be_visible()
    text = timeline.inner_text()
    if lang == "hi":
        for spec in ORGS:
            assert spec.name not in text, f"the Hindi timeline names {spec.name!r} in English"
        assert "Referral" not in text and "Case recorded" not in text, text


def tap(page: Page, target: Any) -> None:
    """Tap as a person would: first dismiss the notification toasts lying over the page."""
    closes = page.locator("#toasts").get_by_role("button")
    for _ in range(20):  # (a normal toast may go by itself meanwhile)
        if not closes.count():
            break
        with contextlib.suppress(PlaywrightTimeoutError):
            closes.first.click(timeout=2_000)
    target.click()


def go_to(page: Page, lang: str, nav_label: str) -> None:
    """Open the folded menu and follow one of its entries, as a person on a phone does."""
    menu = page.locator("#main-menu")
    if menu.get_attribute("open") is None:
        tap(page, menu.locator("summary"))
    nav = page.get_by_role("navigation", name=tr(lang, "Main"))
    tap(page, nav.get_by_role("link", name=tr(lang, nav_label), exact=True))
    page.wait_for_load_state("networkidle")


# --- journey 1: the AHTU officer records a rescue and refers the child -------------------


def record_rescue(page: Page, lang: str, shots: Any, child: Child) -> str:
    """Record the rescued child through the case form; returns the new case's code."""
    go_to(page, lang, "Cases")
    check_page(page, lang, shots, "cases")
    tap(page, page.get_by_role("link", name=tr(lang, "Record a case")))
    check_page(page, lang, shots, "case-form")

    rescued = datetime.now(IST) - timedelta(hours=2)
    field(page, lang, "Time of rescue or first contact (IST)").fill(
        rescued.strftime("%Y-%m-%dT%H:%M")
    )
    field(page, lang, "Source").select_option("rescue")
    field(page, lang, "Police station").select_option(label=org_name("ps_civil", lang))
    field(page, lang, "District").fill("Meerut")
    field(page, lang, "Sex").select_option("female")
    field(page, lang, "Apparent age").fill("14")
    field(page, lang, "Age band").select_option("12-14")
    field(page, lang, "Basis of the age assessment").select_option("appearance")
    field(page, lang, "Name").fill(child.name)
    field(page, lang, "Guardian").fill(child.guardian)
    field(page, lang, "Address").fill(child.address)
    shots(page, f"case-form-filled-{lang}")
    tap(page, page.get_by_role("button", name=tr(lang, "Record the case")))

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(CASE_CODE)
    check_page(page, lang, shots, "case-recorded")
    match = CASE_CODE.search(heading.inner_text())
    assert match
    expect(said(page)).to_contain_text(match.group(0))
    return match.group(0)


def check_clocks(page: Page, lang: str) -> None:
    """The case page shows the statutory clocks started by the rescue, running."""
    clocks = page.get_by_role("region", name=tr(lang, "Statutory deadlines"))
    expect(clocks).to_be_visible()
    table = clocks.get_by_role("table")
    for label in RESCUE_CLOCKS:
        expect(table.get_by_role("row").filter(has_text=tr(lang, label))).to_have_count(1)
    expect(table).not_to_contain_text(tr(lang, "No deadline is running."))


def refer(page: Page, lang: str, shots: Any, code: str, org_key: str, service: str) -> None:
    """From the case page, refer the child to an organisation (sent, not a draft)."""
    tap(page, page.get_by_role("link", name=tr(lang, "Refer"), exact=True))
    check_page(page, lang, shots, f"refer-{org_key}")
    field(page, lang, "Refer to").select_option(label=org_name(org_key, lang))
    field(page, lang, "Service").select_option(service)
    field(page, lang, "Note").fill("Rescued today; needs support in Hindi.")
    tap(page, page.get_by_role("button", name=tr(lang, "Send the referral")))
    expect(said(page)).to_contain_text(tr(lang, "The referral is saved."))
    check_page(page, lang, shots, f"referral-sent-{org_key}")
    expect(page.locator("dl.facts")).to_contain_text(org_name(org_key, lang))
    # Back to the case, as the officer would.
    tap(page, page.get_by_role("link", name=code, exact=True))
    page.wait_for_load_state("networkidle")


# --- journey 2: the NGO coordinator's inbox updates live -----------------------------------


def open_inbox(page: Page, lang: str, shots: Any) -> None:
    go_to(page, lang, "Referral inbox")
    check_page(page, lang, shots, "inbox-before")
    # A full reload would lose this; the live update (websocket, htmx fragment) keeps it.
    page.evaluate("() => { window.__marker = 1; }")


def referral_row(page: Page, code: str) -> Any:
    return page.locator("#referral-list tbody tr").filter(
        has=page.get_by_role("link", name=code, exact=True)
    )


def accept_referral(page: Page, lang: str, shots: Any, code: str, counsellor: str) -> None:
    row = referral_row(page, code)
    expect(row.locator(".badge.urgent")).to_have_text(tr(lang, "Urgent"))
    accept = row.get_by_role("button", name=tr(lang, "Accept"), exact=True)
    accept.scroll_into_view_if_needed()
    within_screen(accept, "the Accept button")
    field(row, lang, "Caseworker").select_option(label=counsellor)
    shots(page, f"inbox-accepting-{lang}")
    tap(page, accept)
    expect(page.locator("#referral-list").get_by_role("status")).to_contain_text(
        tr(lang, "The referral is accepted.")
    )
    expect(referral_row(page, code)).to_contain_text(tr(lang, "Accepted"))
    assert page.evaluate("() => window.__marker") == 1, "accepting reloaded the page"
    check_page(page, lang, shots, "inbox-accepted")


# --- journey 3: the counsellor's lead reaches the police without the identity --------------


def record_lead(page: Page, lang: str, shots: Any, code: str) -> None:
    go_to(page, lang, "Cases")
    check_page(page, lang, shots, "counsellor-cases")
    tap(page, page.get_by_role("link", name=code, exact=True))
    check_page(page, lang, shots, "counsellor-case")
    tap(page, page.get_by_role("link", name=tr(lang, "Share a lead")))
    check_page(page, lang, shots, "lead-form")
    field(page, lang, "For the police unit").select_option(label=org_name("ahtu", lang))
    field(page, lang, "Offender's role").select_option("trafficker")
    field(page, lang, "Description of the offender").fill(LEAD[lang])
    field(page, lang, "Places").fill("Bus stand, Begum Bridge")
    field(page, lang, "Phone numbers").fill("98765 43210")
    field(page, lang, "Vehicles").fill("White van UP15 XX 0000")
    tap(page, page.get_by_role("button", name=tr(lang, "Save")))
    expect(said(page)).to_contain_text(tr(lang, "The lead is shared with the police unit."))
    check_page(page, lang, shots, "lead-shared")


def police_reads_lead(page: Page, lang: str, shots: Any, code: str, child: Child) -> None:
    go_to(page, lang, "Leads")
    check_page(page, lang, shots, "police-leads")
    assert_no_identity(page, child, "the police's list of leads")
    tap(page, page.get_by_role("link", name=code, exact=True).first)
    check_page(page, lang, shots, "police-lead")
    expect(page.locator("dl.facts")).to_contain_text(LEAD[lang])
    assert_no_identity(page, child, "the police's page of the lead")
    tap(page, page.get_by_role("button", name=tr(lang, "Acknowledge")))
    expect(said(page)).to_contain_text(tr(lang, "The lead is acknowledged."))
    check_page(page, lang, shots, "police-lead-acknowledged")
    assert_no_identity(page, child, "the acknowledged lead")
    # The bell told the police of the lead: by the case's code only.
    tap(page, page.get_by_role("link", name=re.compile(re.escape(tr(lang, "Notifications")))))
    check_page(page, lang, shots, "police-notifications")
    expect(page.get_by_role("main")).to_contain_text(code)
    assert_no_identity(page, child, "the police's notifications")


def assert_no_identity(page: Page, child: Child, where: str) -> None:
    html = page.content()
    text = page.locator("body").inner_text()
    for marker in child.markers():
        assert marker not in html, f"{where} carries the child's identity ({marker!r})"
        assert marker not in text, f"{where} shows the child's identity ({marker!r})"


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_rescue_referral_and_lead(phone: Any, shots: Any, lang: str) -> None:
    child = Child.new(lang)

    # 1. The AHTU officer records the rescue; the case shows its clocks.
    officer = log_in(phone(lang), "ahtu_officer", lang)
    code = record_rescue(officer, lang, shots, child)
    check_clocks(officer, lang)
    refer(officer, lang, shots, code, "cwc", "cwc_production")

    # 2. The NGO coordinator has the inbox open before the referral is sent.
    coordinator = log_in(phone(lang), "ngo_coordinator", lang)
    open_inbox(coordinator, lang, shots)
    expect(referral_row(coordinator, code)).to_have_count(0)

    refer(officer, lang, shots, code, "ngo", "counselling")
    expect(officer.get_by_role("region", name=tr(lang, "Referrals"))).to_contain_text(
        org_name("ngo", lang)
    )
    check_timeline(officer, lang)
    check_page(officer, lang, shots, "case-referred")

    # Well before the 30 s polling fallback would: the websocket brought it.
    expect(referral_row(coordinator, code)).to_have_count(1, timeout=10_000)
    assert coordinator.evaluate("() => window.__marker") == 1, "the inbox was reloaded"
    check_page(coordinator, lang, shots, "inbox-live")
    accept_referral(coordinator, lang, shots, code, "Farah Siddiqui")

    # 3. The counsellor records a lead; the police unit reads it without the identity.
    counsellor = log_in(phone(lang), "ngo_counsellor", lang)
    record_lead(counsellor, lang, shots, code)
    police_reads_lead(officer, lang, shots, code, child)
