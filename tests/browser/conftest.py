"""Real-browser tests: the hub served as `make run` serves it, driven by Debian's chromium.

Each xdist worker starts its own hub: a fresh data directory (SQLite file, keys, uploads),
``migrate`` and ``seed_demo`` in a subprocess, then daphne on a free loopback port.  The
tests talk to it only through the browser (and, to check what was stored, through
``hub.manage``), exactly as a person would.

The tests are marked ``browser``.  Without chromium they are skipped, except under CI
(``CI=true``), where a missing browser is a failure: ``.ci/run`` installs it.
Screenshots of each step are kept under ``test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DEMO_PASSWORD = "demo-hub-2026!"  # noqa: S105 - the seeded demo's published password
PHONE = {"width": 360, "height": 640}
CHROMIUM = os.environ.get("FTU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)
            if not chromium_available() and os.environ.get("CI") != "true":
                item.add_marker(pytest.mark.skip(reason="needs Debian's chromium"))


def demo_email(key: str) -> str:
    return f"{key.replace('_', '.')}@demo.ftu.example"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Hub:
    """A running hub: its address, its environment, and a way to ask it things."""

    url: str
    env: dict[str, str]
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=Path)

    def manage(self, *args: str, stdin: str | None = None) -> str:
        """Run ``manage.py`` against this hub's database; returns stdout."""
        result = subprocess.run(  # noqa: S603 - fixed interpreter and arguments
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        """Run Python in ``manage.py shell`` against this hub; returns what it printed."""
        return self.manage("shell", "--no-imports", "-c", code)


def _hub_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "FTU_ENV"}
        and not k.startswith("PYTEST")
    }
    env.update(
        {
            "FTU_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "ftu.settings",
            "PYTHONUNBUFFERED": "1",
            # The demo's console e-mail would only clutter the log.
            "EMAIL_URL": "dummymail://",
        }
    )
    return env


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    data_dir = tmp_path_factory.mktemp("hub")
    env = _hub_env(data_dir)
    port = _free_port()
    hub = Hub(url=f"http://127.0.0.1:{port}", env=env, data_dir=data_dir)
    hub.manage("migrate", "--noinput", "-v", "0")
    hub.manage("seed_demo")
    hub.log = data_dir / "server.log"
    with hub.log.open("wb") as log:
        hub.process = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port)]
            + ["ftu.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{hub.url}/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                pass
            if hub.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the hub did not start:\n" + hub.log.read_text()[-3000:])
            time.sleep(0.2)
        yield hub
    finally:
        hub.process.terminate()
        try:
            hub.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            hub.process.kill()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    # Per module, not per session: Playwright's sync API keeps an event loop marked as
    # running in this thread while it lives, which would break the asyncio tests that the
    # same xdist worker runs after the browser tests.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class Shots:
    """Numbered screenshots of one test's steps, kept as files."""

    def __init__(self, test_name: str) -> None:
        self.dir = ARTIFACTS / re.sub(r"[^\w.-]+", "_", test_name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, page: Any, name: str) -> Path:
        self.n += 1
        slug = re.sub(r"[^\w-]+", "-", name)
        path = self.dir / f"{self.n:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


@pytest.fixture
def phone(chromium: Any, hub: Hub) -> Iterator[Any]:
    """Open phone-sized browser contexts (one per person); closes them all at the end."""
    contexts: list[Any] = []

    def open_context(lang: str = "en", **options: Any) -> Any:
        """``options`` go to Playwright's ``new_context`` (``java_script_enabled=False``…)."""
        context = chromium.new_context(
            **{
                "base_url": hub.url,
                "viewport": PHONE,
                "device_scale_factor": 2,
                "is_mobile": True,
                "has_touch": True,
                "locale": "hi-IN" if lang == "hi" else "en-IN",
                "timezone_id": "Asia/Kolkata",
                "accept_downloads": True,
                **options,
            }
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def log_in(context: Any, key: str, lang: str = "en") -> Any:
    """Log a demo person in, in the given language; returns the page, on the home page."""
    page = context.new_page()
    page.goto("/accounts/login/")
    set_language(page, lang)
    page.fill("input[name=login]", demo_email(key))
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login" not in page.url, f"{key} could not log in"
    set_language(page, lang)
    return page


def set_language(page: Any, lang: str) -> None:
    """Switch the interface language with the switch every page carries."""
    current = page.locator("html").get_attribute("lang")
    if current != lang:
        page.select_option("#lang-select", lang)
        page.locator("form.lang-switch button[type=submit]").click()
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == lang


def no_horizontal_scroll(page: Any) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def overflowing(page: Any) -> list[str]:
    """The elements that stick out past the right edge (to say why a page scrolls sideways)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [];
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 1 && r.width > 0) {
              const id = el.id ? '#' + el.id : '';
              const cls = el.className && typeof el.className === 'string'
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
              out.push(`${el.tagName.toLowerCase()}${id}${cls} (${Math.round(r.right)}px): `
                + (el.textContent || '').trim().slice(0, 40));
            }
          }
          return out.slice(0, 8);
        }"""
    )
