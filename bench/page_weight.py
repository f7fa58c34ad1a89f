"""First-load weight of every main page, compressed, in a real browser with an empty cache.

    .venv/bin/python bench/page_weight.py            # table; exit 1 if a page is >= 100 KB
    .venv/bin/python bench/page_weight.py --limit 80 --lang hi

What is measured (see bench/README.md): a seeded demo hub in a temporary data directory,
DEBUG off, static files collected with WhiteNoise's compressed manifest storage and served by
WhiteNoise, on daphne.  Debian's chromium (Playwright) loads each page in a fresh context (an
empty cache) carrying only the person's session cookie, at 360x640.  Every response of the
load is counted by its encoded body size as it crossed the wire; HTML, which the app does not
compress itself (nginx does, with its gzip defaults), is counted gzip-compressed at level 1,
nginx's default ``gzip_comp_level``.  Response headers are shown apart.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("FTU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DEMO_PASSWORD = "demo-hub-2026!"  # noqa: S105 - the seeded demo's published password
PHONE = {"width": 360, "height": 640}
# One person per kind of work: together they reach every main page.
PERSONAS = [
    "ahtu_officer",
    "station_officer",
    "police_supervisor",
    "ngo_coordinator",
    "ngo_counsellor",
    "shelter_coordinator",
    "cwc_chair",
    "wcd_officer",
    "admin_officer",
    "convenor",
    "mp_reviewer",
    "media_member",
]
# Object pages reached from the lists (first link of each kind on a person's pages).
DETAIL = re.compile(
    r"^/(cases/\d+|cases/referrals/\d+|cases/leads/\d+|raids/\d+|raids/cases/\d+|"
    r"meetings/\d+|meetings/minutes/\d+|meetings/actions/\d+|actions/\d+|partners/\d+)/$"
)
# Never followed: they change state or are not pages.
SKIP = re.compile(r"(logout|/i18n/|\.csv$|\.ics$|/pdf/$|/admin/|/accounts/)")
GZIP_LEVEL = 1
# The hub's own settings, served as production serves it.  Production (FTU_ENV=production)
# needs PostgreSQL, Redis and real secrets, which the page weight does not depend on; what it
# does depend on is taken from production: DEBUG off, static files collected by
# CompressedManifestStaticFilesStorage (hashed names, .gz and .br beside each file) and served
# by WhiteNoise, which answers with the compressed variant the browser accepts.
SETTINGS = """
import os
from pathlib import Path

from ftu.settings import *  # noqa: F403

DEBUG = False
STATIC_ROOT = Path(os.environ["FTU_BENCH_STATIC_ROOT"])
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def production_like_hub() -> Iterator[str]:
    """A seeded hub with DEBUG off and compressed, hashed static files; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="ftu-weight-") as tmp:
        data = Path(tmp) / "data"
        static = Path(tmp) / "static"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "FTU_ENV"}
        }
        (Path(tmp) / "page_weight_settings.py").write_text(SETTINGS)
        env.update(
            {
                "FTU_DATA_DIR": str(data),
                "FTU_BENCH_STATIC_ROOT": str(static),
                "DJANGO_SETTINGS_MODULE": "page_weight_settings",
                "PYTHONPATH": os.pathsep.join([tmp, str(ROOT)]),
                "DEBUG": "0",
                "EMAIL_URL": "dummymail://",
                "LOG_LEVEL": "WARNING",
            }
        )

        def manage(*args: str) -> None:
            subprocess.run(  # noqa: S603 - fixed interpreter and arguments
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )

        manage("migrate", "--noinput", "-v", "0")
        manage("seed_demo")
        manage("collectstatic", "--noinput", "-v", "0")
        port = _free_port()
        log = (Path(tmp) / "server.log").open("wb")
        server = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port)]
            + ["ftu.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:  # noqa: S310
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    tail = (Path(tmp) / "server.log").read_text()[-3000:]
                    raise RuntimeError(f"the hub did not start:\n{tail}")
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


@dataclass
class Load:
    who: str
    path: str
    requests: int = 0
    body: int = 0  # compressed bytes of the bodies
    headers: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    encodings: set[str] = field(default_factory=set)
    lang: str = ""
    wide: bool = False


def _kind(content_type: str, url: str) -> str:
    if "html" in content_type:
        return "html"
    if "css" in content_type:
        return "css"
    if "javascript" in content_type or url.endswith(".js"):
        return "js"
    if content_type.startswith("font/") or "font" in content_type:
        return "font"
    if content_type.startswith("image/"):
        return "image"
    return "other"


# deploy/nginx serves the collected .gz files (gzip_static) and has no brotli module: by default
# the browser is told to accept what that deployment sends.  --brotli lets it accept br too.
ACCEPT_ENCODING = {"Accept-Encoding": "gzip, deflate"}


def measure(
    browser: Any,
    base: str,
    cookies: list[dict[str, Any]],
    who: str,
    path: str,
    headers: dict[str, str],
) -> Load:
    """Load ``path`` once in a fresh context (empty cache) and sum what crossed the wire."""
    context = browser.new_context(
        base_url=base, viewport=PHONE, is_mobile=True, extra_http_headers=headers
    )
    context.add_cookies(cookies)
    page = context.new_page()
    load = Load(who, path)
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(path)
    page.wait_for_load_state("networkidle")
    load.lang = page.locator("html").get_attribute("lang") or "?"
    # Not a weight, but measured on the same loads: does the page scroll sideways at 360 px?
    load.wide = page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    for request in finished:
        response = request.response()
        if response is None:
            continue
        sizes = request.sizes()
        response_headers = response.all_headers()
        kind = _kind(response_headers.get("content-type", ""), request.url)
        encoding = response_headers.get("content-encoding", "")
        load.encodings.add(f"{kind}:{encoding or 'identity'}")
        if encoding:
            body = sizes["responseBodySize"]
        elif kind in {"html", "css", "js"}:
            # Sent uncompressed by the app: count it as nginx's gzip would send it.
            body = len(gzip.compress(response.body(), compresslevel=GZIP_LEVEL))
        else:
            body = sizes["responseBodySize"]
        load.requests += 1
        load.body += body
        load.headers += sizes["responseHeadersSize"]
        load.by_type[kind] = load.by_type.get(kind, 0) + body
    context.close()
    return load


def log_in(browser: Any, base: str, who: str, lang: str) -> tuple[Any, list[dict[str, Any]]]:
    context = browser.new_context(base_url=base, viewport=PHONE)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", f"{who.replace('_', '.')}@demo.ftu.example")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("load")
    if "/accounts/login" in page.url:
        raise RuntimeError(f"{who} could not log in")
    # The language follows the person's profile from log-in on; the switch on every page
    # changes it (and the cookie the measuring contexts carry).
    if page.locator("html").get_attribute("lang") != lang:
        page.select_option("#lang-select", lang)
        page.locator("form.lang-switch button[type=submit]").click()
        page.wait_for_load_state("load")
    if page.locator("html").get_attribute("lang") != lang:
        raise RuntimeError(f"{who}'s pages are not in {lang}")
    return page, context.cookies()


def links(page: Any, within: str = "body") -> list[str]:
    hrefs = page.eval_on_selector_all(
        f"{within} a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    return [h.split("#")[0] for h in hrefs if h and h.startswith("/")]


def crawl(browser: Any, base: str, who: str, lang: str, headers: dict[str, str]) -> list[Load]:
    """The person's menu pages and the first object page of each kind reached from them."""
    page, cookies = log_in(browser, base, who, lang)
    menu = [h for h in links(page, "#main-menu") if not SKIP.search(h)]
    menu = list(dict.fromkeys(["/", *menu]))
    details: dict[str, str] = {}
    for path in menu:
        page.goto(path, wait_until="domcontentloaded")
        for href in links(page):
            if DETAIL.match(href) and not SKIP.search(href):
                details.setdefault(re.sub(r"\d+", "<id>", href), href)
    page.context.close()
    return [measure(browser, base, cookies, who, p, headers) for p in [*menu, *details.values()]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=float, default=100.0, help="KB per page (exclusive)")
    parser.add_argument("--lang", default="en", choices=["en", "hi"])
    parser.add_argument("--people", nargs="*", default=PERSONAS)
    parser.add_argument("--brotli", action="store_true", help="let the browser accept br too")
    args = parser.parse_args()
    headers = {} if args.brotli else ACCEPT_ENCODING
    if not Path(CHROMIUM).exists():
        # As the browser tests do: skipped without chromium, except under CI.
        print(f"skipped: needs Debian's chromium ({CHROMIUM})", file=sys.stderr)
        return 2 if os.environ.get("CI") == "true" else 0
    from playwright.sync_api import sync_playwright

    loads: list[Load] = []
    with production_like_hub() as base, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        anonymous = browser.new_context(base_url=base, viewport=PHONE)
        anonymous.add_cookies([{"name": "django_language", "value": args.lang, "url": base}])
        loads.append(
            measure(browser, base, anonymous.cookies(), "(anonymous)", "/accounts/login/", headers)
        )
        anonymous.close()
        for who in args.people:
            loads.extend(crawl(browser, base, who, args.lang, headers))
        browser.close()

    kb = 1024
    print(f"First load, empty cache, compressed bodies ({args.lang}); 1 KB = 1024 bytes")
    print(
        f"{'person':<20} {'page':<28} {'lang':<4} {'req':>3} {'KB':>6}  "
        f"{'html':>5} {'css':>5} {'js':>5} {'other':>5}  {'hdrs':>5}"
    )
    worst = 0.0
    over = []
    for load in loads:
        size = load.body / kb
        worst = max(worst, size)
        other = sum(v for k, v in load.by_type.items() if k not in {"html", "css", "js"})
        flag = ("  <-- over" if size >= args.limit else "") + (
            "  (scrolls sideways)" if load.wide else ""
        )
        print(
            f"{load.who:<20} {load.path:<28} {load.lang:<4} {load.requests:>3} {size:>6.1f}  "
            f"{load.by_type.get('html', 0) / kb:>5.1f} {load.by_type.get('css', 0) / kb:>5.1f} "
            f"{load.by_type.get('js', 0) / kb:>5.1f} {other / kb:>5.1f}  "
            f"{load.headers / kb:>5.1f}{flag}"
        )
        if size >= args.limit:
            over.append(load)
    seen = sorted(set().union(*(load.encodings for load in loads)))
    print(f"\nContent-Encoding as sent (html counted at gzip -{GZIP_LEVEL}): {', '.join(seen)}")
    print(f"{len(loads)} page loads; heaviest {worst:.1f} KB; limit < {args.limit:.0f} KB")
    wide = sorted({load.path for load in loads if load.wide})
    print(f"Pages wider than 360 px (not a failure here): {', '.join(wide) or 'none'}")
    if over:
        print(f"{len(over)} page(s) at or over the limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
