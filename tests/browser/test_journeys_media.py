"""Journey 5 of issue #9: the media member browses everything they can reach, on a phone.

Before browsing, the test asks the hub itself (``hub.shell``) for everything that must never
reach the press: the decrypted identity of every child case, the codename, grounds, target
and tasks of every raid, the FIR numbers and the pseudonymous case codes.  Then the media
member starts at home and follows every same-origin link (GET only: no log-out or language
POSTs, no downloads) three clicks deep; no page may contain any of those strings, every
page fits the phone's width, and in Hindi every main heading is in Devanagari.  Finally the
direct addresses of a case, a raid, a referral (and the like) answer 404.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from .conftest import Hub, log_in, no_horizontal_scroll, overflowing

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
#: Paths the crawl never follows: leaving the session, and files rather than pages.
SKIP = re.compile(
    r"^/(accounts/logout|i18n/|admin/|static/|media/)|\.(ics|pdf|csv|xlsx|zip)$|/pdf/$|/export"
)
MAX_DEPTH = 3
MAX_PAGES = 120

SECRETS_CODE = r"""
import json
from referrals.models import ChildCase, Referral, Lead, CwcProduction
from raids.models import Raid, Task, ProsecutionCase, Accused, RescuedPerson, RaidOutcome

secrets = set()
paths = {}
for case in ChildCase.objects.all():
    secrets.add(case.code)
    for field in ("name", "aliases", "guardian_name", "guardian_contact", "address", "school",
                  "identifying_marks", "circumstances"):
        secrets.add(getattr(case, field) or "")
    paths.setdefault("case", case.get_absolute_url())
for p in CwcProduction.objects.all():
    secrets.add(p.order_details or "")
for lead in Lead.objects.all():
    for field in ("description", "places", "phones", "vehicles"):
        secrets.add(getattr(lead, field) or "")
    paths.setdefault("lead", lead.get_absolute_url())
for referral in Referral.objects.all():
    secrets.add(referral.note or "")
    paths.setdefault("referral", referral.get_absolute_url())
for raid in Raid.objects.all():
    for field in ("codename", "grounds", "target_location", "shared_summary", "cancel_reason"):
        secrets.add(getattr(raid, field) or "")
    paths.setdefault("raid", raid.get_absolute_url())
    paths.setdefault("raid_board", raid.get_absolute_url().rstrip("/") + "/board/")
    paths.setdefault("raid_target", raid.get_absolute_url().rstrip("/") + "/target/")
for task in Task.objects.all():
    secrets.add(task.title)
for pc in ProsecutionCase.objects.all():
    secrets.add(pc.fir_number)
    secrets.add(pc.lead_reference or "")
    paths.setdefault("prosecution_case", pc.get_absolute_url())
for accused in Accused.objects.all():
    secrets.add(accused.name or "")
for outcome in RaidOutcome.objects.all():
    secrets.add(outcome.fir_number or "")
print(json.dumps({"secrets": sorted(s.strip() for s in secrets if len(s.strip()) >= 4),
                  "paths": paths}))
"""


@pytest.fixture(scope="module")
def forbidden(hub: Hub) -> dict[str, Any]:
    """What the media member must never meet, read from the hub's own database."""
    found = json.loads(hub.shell(SECRETS_CODE).strip().splitlines()[-1])
    # The seeded demo has child cases and a raid: an empty list would make the test hollow.
    assert any("Demo Child" in s for s in found["secrets"]), found["secrets"]
    assert "NEELGAI" in found["secrets"]
    assert {"case", "referral", "raid", "prosecution_case"} <= set(found["paths"])
    return found


def _same_origin_links(page: Any, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    origin = urlsplit(base)
    links = []
    for href in hrefs:
        url, _frag = urldefrag(urljoin(page.url, href))
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path or SKIP.search(parts.path):
            continue
        links.append(path)
    return links


def _check_page(page: Any, lang: str, secrets: list[str]) -> None:
    body = html.unescape(page.content())
    leaked = [s for s in secrets if s in body]
    assert not leaked, f"{page.url} shows {leaked!r} to the media member"
    assert no_horizontal_scroll(page), f"{page.url} scrolls sideways: {overflowing(page)}"
    if lang == "hi":
        heading = page.locator("main h1").first.inner_text()
        assert DEVANAGARI.search(heading), f"{page.url}: heading {heading!r} is not in Hindi"


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_media_member_meets_no_identity_and_no_raid(
    hub: Hub, phone: Any, shots: Any, forbidden: dict[str, Any], lang: str
) -> None:
    secrets = forbidden["secrets"]
    page = log_in(phone(lang), "media_member", lang)
    assert urlsplit(page.url).path == "/"
    _check_page(page, lang, secrets)
    shots(page, "home")

    # The navigation: what the media member may use.  Never cases, raids or meetings.
    nav = [urlsplit(urljoin(hub.url, h)).path for h in _nav_links(page)]
    assert nav, "the media member has no navigation"
    for path in nav:
        assert not path.startswith(("/cases", "/raids", "/audit")), path

    seen: set[str] = {"/"}
    queue: list[tuple[str, int]] = [(p, 1) for p in dict.fromkeys(nav)]
    queue += [(p, 1) for p in _same_origin_links(page, hub.url)]
    visited: list[str] = []
    while queue:
        path, depth = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(path)
        assert response is not None
        # Following a link the hub itself offered must never end in an error page.
        assert response.status == 200, f"{path} answered {response.status}"
        page.wait_for_load_state("networkidle")
        visited.append(path)
        _check_page(page, lang, secrets)
        # Every page reached is kept as a screenshot (the navigation's pages come first).
        shots(page, path.strip("/").replace("/", "-").replace("?", "-") or "home")
        if depth < MAX_DEPTH:
            queue += [(p, depth + 1) for p in _same_origin_links(page, hub.url) if p not in seen]
        assert len(visited) <= MAX_PAGES, "the crawl does not end: too many pages"
    # Every entry of the navigation was reached, and the crawl went beyond it.
    assert set(nav) - {"/"} <= set(visited)
    assert len(visited) > len(set(nav))
    (shots.dir / "visited.txt").write_text("\n".join(visited) + "\n")

    # Addresses of protected objects, typed in directly: 404, as for something that is not.
    for kind, path in forbidden["paths"].items():
        response = page.goto(path)
        assert response is not None
        assert response.status == 404, f"{kind} {path} answered {response.status}"
        body = html.unescape(page.content())
        assert not [s for s in secrets if s in body], f"the 404 of {kind} says what it hides"
        # (The demo hub runs with DEBUG, so this is Django's own 404 page, not the hub's.)
    shots(page, "case-address-404")


def _nav_links(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "nav.main-nav a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
