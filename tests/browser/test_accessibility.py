"""Every main page, at phone size, in English and in Hindi: axe-core finds nothing serious.

For each page a person who may see it opens it in a 360×640 Chromium context; the page must
answer as expected, carry the right ``lang``, have no axe-core violation of impact
*serious* or *critical*, not scroll sideways, and offer interactive targets of at least
24×24 CSS px (WCAG 2.2, 2.5.8 Target Size (Minimum), with its exceptions for targets inline
in a sentence and for small targets that are far enough from the others).  In Hindi, no
interface word (title, column head, label, button, menu entry) may be left in English.

Also: keyboard focus is visible on every control a Tab reaches, and a notification that
arrives while a page is open shows as an accessible toast in a live region.

The objects (a case, a raid, a meeting…) come from the seeded demo; the invitation page
needs a pending invitation, which the module makes.  One logged-in context per person and
language is shared by the module's tests.  Each page's screenshot and every axe finding
(minor ones included, as ``axe.json``) are kept under ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import (
    PHONE,
    Hub,
    Shots,
    demo_email,
    log_in,
    no_horizontal_scroll,
    set_language,
)

LANGS = ["en", "hi"]
ANON = ""


@dataclass(frozen=True)
class Page:
    id: str
    persona: str  # ANON for a person who is not logged in
    path: str  # formatted with the demo objects, e.g. "/cases/{case}/"
    status: int = 200
    # Error pages the demo hub cannot show as production does (it runs with DEBUG, so a
    # 404 is Django's technical page): rendered by the hub's own handler, then loaded.
    handler: str = ""


PAGES: list[Page] = [
    # Anonymous
    Page("login", ANON, "/accounts/login/"),
    Page("password-reset", ANON, "/accounts/password/reset/"),
    Page("password-reset-done", ANON, "/accounts/password/reset/done/"),
    Page("invitation-accept", ANON, "/partners/join/{invitation_token}/"),
    # Everyone's pages
    Page("home", "ahtu_officer", "/"),
    Page("home-convenor", "convenor", "/"),
    Page("home-media", "media_member", "/"),
    Page("profile", "ngo_counsellor", "/partners/me/"),
    Page("directory", "ngo_counsellor", "/partners/"),
    Page("organisation", "ngo_counsellor", "/partners/{organisation}/"),
    Page("notifications", "ngo_coordinator", "/notifications/"),
    Page("notification-preferences", "ngo_coordinator", "/notifications/preferences"),
    # Cases and referrals
    Page("case-list", "ahtu_officer", "/cases/"),
    Page("case-new", "ahtu_officer", "/cases/new/"),
    Page("case", "ahtu_officer", "/cases/{case}/"),
    Page("referral-inbox", "ngo_coordinator", "/cases/referrals/inbox/"),
    Page("referral-outbox", "ahtu_officer", "/cases/referrals/sent/"),
    Page("referral", "ngo_coordinator", "/cases/referrals/{referral}/"),
    Page("case-refer", "ahtu_officer", "/cases/{case}/refer/"),
    Page("deadlines", "ahtu_officer", "/cases/deadlines/"),
    Page("leads", "ahtu_officer", "/cases/leads/"),
    # Raids and prosecutions
    Page("raid-list", "ahtu_officer", "/raids/"),
    Page("raid", "ahtu_officer", "/raids/{raid}/"),
    Page("raid-new", "ahtu_officer", "/raids/new/"),
    Page("prosecutions", "ahtu_officer", "/raids/cases/"),
    Page("prosecution", "ahtu_officer", "/raids/cases/{prosecution}/"),
    Page("prosecution-new", "ahtu_officer", "/raids/cases/new/"),
    Page("raid-outcome", "ahtu_officer", "/raids/{raid}/outcome/"),
    # Meetings
    Page("meeting-list", "convenor", "/meetings/"),
    Page("meeting", "convenor", "/meetings/{meeting}/"),
    Page("meeting-new", "convenor", "/meetings/new/"),
    Page("meeting-attendance", "convenor", "/meetings/{meeting}/attendance/"),
    Page("meeting-summary", "convenor", "/meetings/{meeting}/summary/"),
    Page("agenda-item-new", "convenor", "/meetings/{next_meeting}/agenda/new/"),
    Page("minutes", "convenor", "/meetings/minutes/{minutes}/"),
    Page("minutes-reviewer", "mp_reviewer", "/meetings/minutes/{minutes}/"),
    Page("action-items", "convenor", "/meetings/actions/"),
    Page("action-item", "shelter_coordinator", "/meetings/actions/{action_item}/"),
    Page("public-summaries", "media_member", "/meetings/summaries/"),
    # Actions feed
    Page("actions-feed", "ngo_coordinator", "/actions/"),
    Page("action-post-new", "ngo_coordinator", "/actions/new/"),
    Page("action-post", "ngo_coordinator", "/actions/{action_post}/"),
    # Oversight
    Page("dashboard", "convenor", "/dashboard/"),
    Page("people", "ngo_coordinator", "/partners/people/"),
    Page("invite", "ngo_coordinator", "/partners/people/invite/"),
    Page("organisation-new", "convenor", "/partners/new/"),
    Page("organisation-edit", "convenor", "/partners/{organisation}/edit/"),
    Page("audit-log", "convenor", "/audit/"),
    Page("delivery-failures", "convenor", "/notifications/outbox"),
    # Errors
    Page("403", "media_member", "/cases/new/", status=403),
    Page("404", "ngo_counsellor", "/cases/999999/", status=404, handler="404"),
    Page("500", "ngo_counsellor", "/cases/", status=500, handler="500"),
    # allauth pages the hub uses
    Page("logout", "ngo_counsellor", "/accounts/logout/"),
    Page("password-change", "ngo_counsellor", "/accounts/password/change/"),
    Page("mfa", "ngo_counsellor", "/accounts/2fa/"),
    Page("mfa-totp-activate", "ngo_counsellor", "/accounts/2fa/totp/activate/"),
    Page("sessions", "ngo_counsellor", "/accounts/sessions/"),
]

OBJECTS_CODE = """
import json
from agencies.models import Organisation
from agencies.models_actions import ActionPost
from agencies.services import invitations
from meetings.demo import NEXT_TITLE, PAST_TITLE
from meetings.models import ActionItem, Meeting, Minutes
from raids.models import ProsecutionCase, Raid
from referrals.models import ChildCase, Referral
from django.contrib.auth import get_user_model

User = get_user_model()
coordinator = User.objects.get(email="ngo.coordinator@demo.ftu.example")
ngo = coordinator.memberships.get().organisation
ahtu = User.objects.get(email="ahtu.officer@demo.ftu.example").memberships.get().organisation
tokens = []
invitations.invitation_create(
    actor=coordinator, organisation=ngo, email="new.counsellor@demo.ftu.example",
    full_name="New Counsellor (fictional)", link_for=lambda t: tokens.append(t) or t,
)
meeting = Meeting.objects.get(title=PAST_TITLE)
print(json.dumps({
    "organisation": ngo.pk,
    "invitation_token": tokens[0],
    "case": ChildCase.objects.filter(recording_org=ahtu).earliest("pk").pk,
    "referral": Referral.objects.filter(to_org=ngo).earliest("pk").pk,
    "raid": Raid.objects.get(codename="NEELGAI").pk,
    "prosecution": ProsecutionCase.objects.earliest("pk").pk,
    "meeting": meeting.pk,
    "next_meeting": Meeting.objects.get(title=NEXT_TITLE).pk,
    "minutes": Minutes.objects.filter(meeting=meeting).latest("pk").pk,
    "action_item": ActionItem.objects.filter(text__startswith="Arrange").get().pk,
    "action_post": ActionPost.objects.earliest("pk").pk,
}))
"""


ERROR_PAGE_CODE = """
import sys
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import page_not_found
from ftu.views import server_error

request = RequestFactory().get(%(path)r)
request.user = get_user_model().objects.get(email=%(email)r) if %(email)r else AnonymousUser()
with translation.override(%(lang)r):
    request.LANGUAGE_CODE = %(lang)r
    if %(handler)r == "404":
        response = page_not_found(request, Http404())
    else:
        response = server_error(request)
sys.stdout.write("%(marker)s%%d\\n%%s" %% (response.status_code, response.content.decode()))
"""


def _error_page(hub: Hub, spec: Page, lang: str) -> tuple[int, str]:
    marker = "-----ERROR-PAGE-----"
    out = hub.shell(
        ERROR_PAGE_CODE
        % {
            "path": spec.path,
            "email": demo_email(spec.persona) if spec.persona else "",
            "lang": lang,
            "handler": spec.handler,
            "marker": marker,
        }
    )
    status, html = out.split(marker, 1)[1].split("\n", 1)
    return int(status), html


@pytest.fixture(scope="module")
def demo_objects(hub: Hub) -> dict[str, Any]:
    return json.loads(hub.shell(OBJECTS_CODE).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def contexts(chromium: Any, hub: Hub) -> Iterator[Any]:
    """One phone context per (person, language), logged in once and shared."""
    cache: dict[tuple[str, str], Any] = {}

    def get(persona: str, lang: str) -> Any:
        key = (persona, lang)
        if key not in cache:
            context = chromium.new_context(
                base_url=hub.url,
                viewport=PHONE,
                device_scale_factor=1,
                is_mobile=True,
                has_touch=True,
                locale="hi-IN" if lang == "hi" else "en-IN",
                timezone_id="Asia/Kolkata",
            )
            context.set_default_timeout(15_000)
            if persona == ANON:
                page = context.new_page()
                page.goto("/accounts/login/")
                set_language(page, lang)
            else:
                page = log_in(context, persona, lang)
            page.close()
            cache[key] = context
        return cache[key]

    yield get
    for context in cache.values():
        context.close()


# Interactive targets in the header, navigation and main content smaller than 24×24 CSS px
# that no exception of WCAG 2.2 SC 2.5.8 covers.  Exceptions implemented: inline (a link
# inside a sentence or block of text), spacing (a 24 px circle centred on the small target
# meets no other target nor another small target's circle); hidden targets are not targets.
SMALL_TARGETS_JS = """
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [role=button], [tabindex]:not([tabindex="-1"])';
  const targets = [];
  for (const region of document.querySelectorAll('header, nav, main')) {
    for (const el of region.querySelectorAll(selector)) {
      if (targets.includes(el)) continue;
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
      if (el.closest('.visually-hidden')) continue;
      targets.push(el);
    }
  }
  const inSentence = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    if (!block) return false;
    let text = block.textContent;
    for (const a of block.querySelectorAll('a, button, input, select, textarea')) {
      text = text.replace(a.textContent, '');
    }
    return /[\\p{L}\\p{N}]/u.test(text);
  };
  const rects = targets.map((el) => el.getBoundingClientRect());
  const small = targets.map((el, i) => (rects[i].width < 24 || rects[i].height < 24)
    && !inSentence(el));
  const centre = (r) => [r.left + r.width / 2, r.top + r.height / 2];
  const distToRect = ([x, y], r) => {
    const dx = Math.max(r.left - x, 0, x - r.right);
    const dy = Math.max(r.top - y, 0, y - r.bottom);
    return Math.hypot(dx, dy);
  };
  const failures = [];
  targets.forEach((el, i) => {
    if (!small[i]) return;
    const c = centre(rects[i]);
    const crowded = targets.some((other, j) => {
      if (j === i || other.contains(el) || el.contains(other)) return false;
      if (other.tagName === 'LABEL' || el.labels && [...el.labels].includes(other)) return false;
      if (distToRect(c, rects[j]) < 12) return true;
      if (small[j]) {
        const [ox, oy] = centre(rects[j]);
        return Math.hypot(c[0] - ox, c[1] - oy) < 24;
      }
      return false;
    });
    if (crowded) {
      const name = (el.textContent || el.getAttribute('aria-label') || el.name || '').trim();
      failures.push(`<${el.tagName.toLowerCase()}> "${name.slice(0, 40)}" `
        + `${Math.round(rects[i].width)}×${Math.round(rects[i].height)}`);
    }
  });
  return failures;
}
"""


# What sticks out on the right of the viewport (to say why a page scrolls sideways).
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right <= width + 0.5 || r.width === 0) continue;
    if ([...el.children].some((c) => c.getBoundingClientRect().right > width + 0.5)) continue;
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className : '';
    out.push(`<${el.tagName.toLowerCase()}${cls}> right=${Math.round(r.right)}`);
  }
  return out.slice(0, 10);
}
"""


# Interface words (page titles, column heads, field labels, buttons, menu entries) with Latin
# letters and no Devanagari: on a Hindi page these are strings that missed translation.
# What names data is left out: row heads, section titles (agenda items…), the labels of check
# boxes and of per-object fields (a person's attendance), and words all languages share.
ENGLISH_CHROME_JS = """
() => {
  const same = new Set(['FTU', 'Hub', 'IST', 'CSV', 'PDF', 'SMS', 'ics', 'TOTP', 'ID']);
  const found = [];
  for (const el of document.querySelectorAll(
      'main h1, main th[scope=col], main button, main summary, main label, nav a')) {
    if (el.tagName === 'LABEL') {
      const control = el.control;
      if (control && (control.type === 'checkbox' || control.type === 'radio')) continue;
      if (/\\d/.test(el.htmlFor)) continue;
    }
    if (el.closest('[lang]:not(html)') || el.closest('td') || el.closest('.visually-hidden')) {
      continue;
    }
    const text = el.innerText.trim();
    if (!text || /[\\u0900-\\u097F]/u.test(text) || !/[A-Za-z]/.test(text)) continue;
    const words = text.replace(/[^A-Za-z ]+/g, ' ').trim().split(/\\s+/);
    if (words.every((w) => same.has(w))) continue;
    found.push(`<${el.tagName.toLowerCase()}> ${text.slice(0, 60)}`);
  }
  return found;
}
"""


def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')[:200]}")
    return "\n".join(lines)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("spec", PAGES, ids=[p.id for p in PAGES])
def test_page_is_accessible_on_a_phone(
    spec: Page,
    lang: str,
    hub: Hub,
    contexts: Any,
    demo_objects: dict[str, Any],
    shots: Shots,
) -> None:
    page = contexts(spec.persona, lang).new_page()
    try:
        if spec.handler:
            status, html = _error_page(hub, spec, lang)
            page.goto("/healthz")  # the hub's origin, so /static/ resolves
            page.set_content(html)
        else:
            response = page.goto(spec.path.format(**demo_objects))
            status = response.status if response else 0
        assert status == spec.status, f"{spec.path} answered {status} to {spec.persona or 'anon'}"
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == lang
        # The folded menu is part of every page: check it open.
        page.evaluate("() => document.querySelectorAll('details.menu').forEach(d => d.open = true)")
        shots(page, f"{spec.id}-{lang}")

        results = _axe().run(page)
        # Every finding, minor ones included, is kept next to the screenshot.
        (shots.dir / "axe.json").write_text(
            json.dumps(results.response["violations"], indent=1, ensure_ascii=False)
        )
        serious = [
            v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}
        ]
        assert not serious, f"axe on {spec.path} ({lang}):\n{_describe(serious)}"
        assert no_horizontal_scroll(page), (
            f"{spec.path} ({lang}) scrolls sideways at 360 px: {page.evaluate(OVERFLOW_JS)}"
        )
        if lang == "hi":
            english = page.evaluate(ENGLISH_CHROME_JS)
            assert not english, f"untranslated interface words on {spec.path}:\n" + "\n".join(
                english
            )
        small = page.evaluate(SMALL_TARGETS_JS)
        assert not small, f"targets under 24×24 px on {spec.path} ({lang}):\n" + "\n".join(small)
    finally:
        page.close()


# The element that has keyboard focus, and whether a focus indicator is drawn around it.
FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const ring = style.boxShadow !== 'none';
  const name = (el.textContent || el.getAttribute('aria-label') || el.name || el.id || '');
  return {
    what: `<${el.tagName.toLowerCase()}> "${name.trim().slice(0, 40)}"`,
    indicated: outline || ring,
  };
}
"""

FOCUS_PAGES = [
    Page("login", ANON, "/accounts/login/"),
    Page("home", "ahtu_officer", "/"),
    Page("case", "ahtu_officer", "/cases/{case}/"),
    Page("case-new", "ahtu_officer", "/cases/new/"),
    Page("meeting", "convenor", "/meetings/{meeting}/"),
]


@pytest.mark.parametrize("spec", FOCUS_PAGES, ids=[p.id for p in FOCUS_PAGES])
def test_keyboard_focus_is_always_visible(
    spec: Page, contexts: Any, demo_objects: dict[str, Any]
) -> None:
    """Tabbing through a page, every element that takes focus shows it (WCAG 2.4.7)."""
    page = contexts(spec.persona, "en").new_page()
    try:
        page.goto(spec.path.format(**demo_objects))
        page.wait_for_load_state("networkidle")
        reached, hidden = [], []
        for _ in range(30):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED_JS)
            if focused is None:
                continue
            reached.append(focused["what"])
            if not focused["indicated"]:
                hidden.append(focused["what"])
        assert len(reached) >= 5, f"the keyboard reached almost nothing: {reached}"
        assert not hidden, f"focus not visible on {spec.path}: {hidden}"
    finally:
        page.close()


@pytest.mark.parametrize("lang", LANGS)
def test_live_notification_toast_is_announced_and_accessible(
    lang: str, contexts: Any, shots: Shots
) -> None:
    """A notification that arrives while a page is open: a toast in a live region that axe
    finds nothing serious in, with a labelled dismiss button big enough to tap."""
    context = contexts("shelter_staff", lang)
    watching = context.new_page()
    sender = context.new_page()
    try:
        watching.goto("/")
        watching.wait_for_load_state("networkidle")
        assert watching.locator("#toasts").get_attribute("aria-live") == "polite"
        sender.goto("/notifications/preferences")
        sender.locator("form[action$='/preferences/test'] button[type=submit]").click()
        sender.wait_for_load_state("networkidle")

        toast = watching.locator("#toasts .toast").first
        toast.wait_for(state="visible", timeout=40_000)  # the socket, or else the 30 s poll
        shots(watching, f"toast-{lang}")
        results = _axe().run(watching)
        serious = [
            v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}
        ]
        assert not serious, f"axe with a toast ({lang}):\n{_describe(serious)}"
        close = toast.locator("button.toast-close")
        assert close.get_attribute("aria-label")
        box = close.bounding_box()
        assert box is not None and box["width"] >= 24 and box["height"] >= 24
        assert no_horizontal_scroll(watching)
        close.click()
        assert watching.locator("#toasts .toast").count() == 0
    finally:
        watching.close()
        sender.close()
