"""static/js/notifications.js: behaviour in a fake browser (node), and what it must never use."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "static" / "js" / "notifications.js"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_client_script_behaviour_in_a_fake_browser() -> None:
    result = subprocess.run(  # noqa: S603
        [
            shutil.which("node") or "node",
            str(Path(__file__).parent / "js" / "notifications_test.js"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok ") == 9


def test_client_script_uses_no_eval_no_inner_html_and_no_local_storage() -> None:
    code = SCRIPT.read_text()
    # Comments may name them; code may not.
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    code = re.sub(r"//[^\n]*", "", code)
    for forbidden in ("eval(", "innerHTML", "localStorage", "new Function", "insertAdjacentHTML"):
        assert forbidden not in code, forbidden


def test_base_page_loads_the_script_without_inline_handlers(personas: dict, login) -> None:  # type: ignore[no-untyped-def]
    page = login(personas["ngo_coordinator"]).get("/notifications/").content.decode()
    assert "/static/js/notifications.js" in page
    assert 'id="ftu-notify-groups" type="application/json"' in page
    assert not re.search(r"\son[a-z]+=", page)
