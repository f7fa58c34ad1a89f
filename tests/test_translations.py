"""The Hindi catalogue covers every string the hub marks for translation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    "agencies",
    "dashboard",
    "ftu",
    "meetings",
    "notifications",
    "raids",
    "referrals",
    "templates",
]

pytestmark = pytest.mark.skipif(
    not shutil.which("msgattrib") or not shutil.which("xgettext"),
    reason="GNU gettext is needed (Debian package gettext; .ci/run installs it)",
)


def _attrib(po: Path, *flags: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed arguments
        ["msgattrib", *flags, "--no-obsolete", str(po)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_hindi_catalogue_misses_no_string(tmp_path: Path) -> None:
    # Re-extract into a copy of the tree, so the working catalogue is never touched.
    for name in [*SOURCES, "locale", "manage.py"]:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / name)
    subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "makemessages", "-l", "hi", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    po = tmp_path / "locale" / "hi" / "LC_MESSAGES" / "django.po"
    untranslated = _attrib(po, "--untranslated")
    fuzzy = _attrib(po, "--only-fuzzy")
    missing = [line for line in untranslated.splitlines() if line.startswith("msgid ")][1:]
    unsure = [line for line in fuzzy.splitlines() if line.startswith("msgid ")][1:]
    assert missing == [], f"strings without Hindi (run `make messages`): {missing[:20]}"
    assert unsure == [], f"fuzzy Hindi to review: {unsure[:20]}"


def test_compiled_catalogues_match_their_sources(tmp_path: Path) -> None:
    # The .mo files are committed (a fresh machine may lack gettext): they must be current.
    for po in [*ROOT.glob("locale*/*/LC_MESSAGES/django.po")]:
        fresh = tmp_path / "fresh.mo"
        subprocess.run(  # noqa: S603 - fixed arguments
            ["msgfmt", "--check-format", "-o", str(fresh), str(po)],  # noqa: S607
            check=True,
            capture_output=True,
        )
        committed = po.with_suffix(".mo")
        assert committed.exists(), f"{committed} is missing: run `make messages`"
        assert committed.read_bytes() == fresh.read_bytes(), (
            f"{committed} is older than its .po: run `make messages`"
        )
