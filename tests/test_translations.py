"""The Hindi catalogue covers every string the hub marks for translation."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import allauth
import pytest
from django.conf import settings
from django.test import Client

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

needs_gettext = pytest.mark.skipif(
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


@needs_gettext
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


@needs_gettext
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


# --- every template string is marked for translation ------------------------------------------

TEMPLATE_DIRS = [ROOT / "templates", *(ROOT / app / "templates" for app in SOURCES)]
# Left as they are in every language: the hub's name.
ALLOWED = {"FTU Hub"}
# Attributes a person reads or hears (screen readers): they must be translated too.
READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description"}
_BLOCKTRANSLATE = re.compile(
    r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", re.DOTALL
)
_COMMENT_BLOCK = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.DOTALL)
_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
_TAG_OR_VARIABLE = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)
_LETTER = re.compile(r"[^\W\d_]")


def _without_django(source: str) -> str:
    """Drop comments, translated blocks, tags and variables; keep line numbers."""
    for pattern in (_COMMENT_BLOCK, _COMMENT, _BLOCKTRANSLATE, _TAG_OR_VARIABLE):
        source = pattern.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    return source


class _TextFinder(HTMLParser):
    """Text a person would read that is left in the template as it is."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, text already in a stated language)

    def _in_stated_language(self) -> bool:
        # A passage marked lang="…" (the 500 page's Hindi line) is already in that language.
        return any(stated for _tag, stated in self._stack)

    def _flag(self, text: str, lines_before: int = 0) -> None:
        text = " ".join(text.split())
        if _LETTER.search(text) and text.strip(" ·:") not in ALLOWED:
            self.found.append((self.getpos()[0] + lines_before, text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if value and (
                name in READ_ATTRIBUTES
                or (
                    name == "value"
                    and tag == "input"
                    and values.get("type") in {"submit", "button"}
                )
                or (name == "content" and tag == "meta" and values.get("name") == "description")
            ):
                self._flag(f'{name}="{value}"')
        if tag not in {"br", "hr", "img", "input", "link", "meta", "source", "wbr"}:
            self._stack.append((tag, bool(values.get("lang"))))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        inside = {tag for tag, _stated in self._stack}
        if not inside & {"script", "style"} and not self._in_stated_language():
            self._flag(data, data[: len(data) - len(data.lstrip())].count("\n"))


def untranslated_text(source: str, html: bool = True) -> list[tuple[int, str]]:
    """(line, text) of what ``source``, a Django template, shows without translating it."""
    bare = _without_django(source)
    if not html:
        return [
            (n, line.strip()) for n, line in enumerate(bare.splitlines(), 1) if _LETTER.search(line)
        ]
    finder = _TextFinder()
    finder.feed(bare)
    finder.close()
    return finder.found


def test_the_guard_finds_unmarked_text() -> None:
    template = """{% load i18n %}{# a note #}<h1>{% translate "Cases" %}</h1>
<p>Unmarked words</p>{% if x %} Also unmarked{% endif %}
<img alt="A photo" src="x"><input placeholder="{% translate 'Search' %}">
<button aria-label="Close">×</button>{% blocktranslate %}Marked {{ n }}{% endblocktranslate %}
<p lang="hi">पहले से हिंदी</p><script>var words = "not shown";</script><p>{{ SITE_NAME }} 12/03</p>
<span>FTU Hub</span>"""
    assert [text for _line, text in untranslated_text(template)] == [
        "Unmarked words",
        "Also unmarked",
        'alt="A photo"',
        'aria-label="Close"',
    ]
    assert untranslated_text("{% translate 'Hi' %}\nDear team,\n", html=False) == [
        (2, "Dear team,")
    ]


def test_every_template_string_is_marked_for_translation() -> None:
    problems = []
    templates = [
        p for d in TEMPLATE_DIRS if d.is_dir() for p in sorted(d.rglob("*")) if p.is_file()
    ]
    assert len(templates) > 50
    for path in templates:
        if path.suffix not in {".html", ".txt"}:
            continue
        for line, text in untranslated_text(path.read_text(), html=path.suffix == ".html"):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {text}")
    assert problems == [], "text not marked for translation:\n" + "\n".join(problems)


# --- allauth's pages the hub uses are in Hindi ------------------------------------------------


def _po_messages(po: Path) -> dict[str, str]:
    """msgid → msgstr of a .po file (singular entries; enough to recognise a string)."""
    entries: dict[str, str] = {}
    key = ""
    current: dict[str, str] = {}
    for raw in [*po.read_text().splitlines(), ""]:
        line = raw.strip()
        match = re.match(r'^(msgid|msgstr|msgstr\[0\]|msgid_plural) "(.*)"$', line)
        if match:
            key = match.group(1)
            if key == "msgid" and current.get("msgid"):
                entries[current["msgid"]] = current.get("msgstr", current.get("msgstr[0]", ""))
                current = {}
            current[key] = match.group(2)
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
        elif not line and current.get("msgid"):
            entries[current["msgid"]] = current.get("msgstr", current.get("msgstr[0]", ""))
            current, key = {}, ""
    return {k.replace('\\"', '"'): v for k, v in entries.items()}


class _ShownText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in {"script", "style"}
        for name, value in attrs:
            if value and name in READ_ATTRIBUTES:
                self.texts.add(value.strip())

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in {"script", "style"}

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.add(" ".join(data.split()).strip(" :*"))


def _english_left(html: str, allauth_ids: set[str]) -> set[str]:
    shown = _ShownText()
    shown.feed(html)
    return {text for text in shown.texts if text in allauth_ids}


@pytest.fixture
def allauth_english() -> set[str]:
    """allauth's own English strings that the Hindi catalogue translates differently."""
    catalogue = _po_messages(Path(allauth.__file__).parent / "locale/en/LC_MESSAGES/django.po")
    hindi = _po_messages(ROOT / "locale_vendor/hi/LC_MESSAGES/django.po")
    return {
        msgid.strip(" :*")
        for msgid in catalogue
        if _LETTER.search(msgid) and "%(" not in msgid and hindi.get(msgid) != msgid
    }


def _hindi_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    return client


@pytest.mark.django_db
def test_allauth_pages_the_hub_uses_are_in_hindi(
    personas: dict[str, Any], allauth_english: set[str]
) -> None:
    from tests.agencies.helpers import PASSWORD

    assert len(allauth_english) > 100
    person = personas["ngo_coordinator"]
    person.set_password(PASSWORD)
    person.preferred_language = "hi"
    person.save()

    pages: dict[str, str] = {}
    anonymous = _hindi_client()
    for path in ["/accounts/login/", "/accounts/password/reset/"]:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        pages[path] = response.content.decode()
    # A wrong password: the form's error is allauth's too.
    response = anonymous.post("/accounts/login/", {"login": person.email, "password": "wrong!"})
    pages["/accounts/login/ (error)"] = response.content.decode()
    response = anonymous.post("/accounts/password/reset/", {"email": person.email})
    assert response.status_code == 302
    pages["/accounts/password/reset/done/"] = anonymous.get(response["Location"]).content.decode()

    mfa = _hindi_client()
    response = mfa.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    pages["/accounts/2fa/authenticate/"] = mfa.get("/accounts/2fa/authenticate/").content.decode()
    response = mfa.post("/accounts/2fa/authenticate/", {"code": "000000"})
    pages["/accounts/2fa/authenticate/ (error)"] = response.content.decode()

    logged_in = _hindi_client()
    logged_in.force_login(person)
    response = logged_in.get("/accounts/logout/")
    assert response.status_code == 200
    pages["/accounts/logout/"] = response.content.decode()

    # The account pages, as a person logged in with a password meets them.
    from tests.agencies.helpers import make_person

    member, _secret = make_person(personas["orgs"]["media"], mfa=False, preferred_language="hi")
    account = _hindi_client()
    account.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    for path in [
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        "/accounts/2fa/webauthn/add/",
        "/accounts/2fa/recovery-codes/generate/",
        "/accounts/sessions/",
        "/accounts/password/change/",
        "/accounts/reauthenticate/",
    ]:
        response = account.get(path)
        if response.status_code == 302 and "reauthenticate" in response["Location"]:
            account.post(response["Location"], {"password": PASSWORD})
            response = account.get(path)
        assert response.status_code == 200, path
        pages[path] = response.content.decode()

    for path, html in pages.items():
        assert 'lang="hi"' in html, path
        left = _english_left(html, allauth_english)
        assert left == set(), f"{path} shows allauth's English: {sorted(left)}"
