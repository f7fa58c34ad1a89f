"""The core flows work with JavaScript switched off, on a phone, in English and in Hindi.

Plain form posts and redirects only: log in, accept a referral, update a raid task, comment
on circulated minutes.  Each test makes its own objects in the hub (through the services, as
the app would) so it never depends on, or disturbs, what other browser tests do with the
demo's own records.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, Hub, demo_email, no_horizontal_scroll

LANGS = ["en", "hi"]


@pytest.fixture
def no_js(phone: Any) -> Any:
    """Open phone-sized contexts with JavaScript disabled."""
    return lambda lang="en": phone(lang, java_script_enabled=False)


# The demo's people and organisations, found (never re-seeded: other tests share the hub).
PEOPLE = """
from agencies.demo import ORGS, PEOPLE, email_for
from agencies.models import Organisation, User


def demo_people():
    people = {p.key: User.objects.get(email=email_for(p.key)) for p in PEOPLE if p.active}
    people["orgs"] = {o.key: Organisation.objects.get(name=o.name) for o in ORGS}
    return people
"""


def _shell_json(hub: Hub, code: str) -> Any:
    out = hub.shell(PEOPLE + code).strip().splitlines()
    return json.loads(out[-1])


def _switch_language(page: Any, lang: str) -> None:
    """The language switch is a form with a submit button: no script needed."""
    if page.locator("html").get_attribute("lang") != lang:
        page.select_option("#lang-select", lang)
        page.locator("form.lang-switch button[type=submit]").click()
        page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == lang


def _log_in(context: Any, key: str, lang: str, shots: Any = None) -> Any:
    page = context.new_page()
    page.goto("/accounts/login/")
    _switch_language(page, lang)
    if shots:
        shots(page, f"login-{lang}")
    page.fill("input[name=login]", demo_email(key))
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert "/accounts/login" not in page.url, f"{key} could not log in without JavaScript"
    # The language then follows the person's profile; the switch changes it, still no script.
    _switch_language(page, lang)
    return page


@pytest.mark.parametrize("lang", LANGS)
def test_log_in_and_out_without_javascript(no_js: Any, shots: Any, lang: str) -> None:
    context = no_js(lang)
    page = _log_in(context, "ahtu_officer", lang, shots)
    shots(page, f"home-{lang}")
    assert no_horizontal_scroll(page)
    assert page.locator("h1").count() >= 1
    # The menu folds with <details>: it opens with a tap, no script.
    page.locator("#main-menu summary").click()
    page.locator("#main-menu button[type=submit]").click()  # log out
    page.wait_for_load_state("load")
    if "/accounts/logout" in page.url:  # allauth's confirmation page, also a plain form
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("load")
    shots(page, f"logged-out-{lang}")
    page.goto("/")
    assert "/accounts/login" in page.url


REFERRAL = """
import datetime, json, uuid
from django.utils import timezone
from referrals import services
people = demo_people()
orgs = people["orgs"]
now = timezone.now()
case, _dups = services.case_create(
    actor=people["ahtu_officer"],
    organisation=orgs["ahtu"],
    data={
        "first_contact_at": now - datetime.timedelta(hours=2),
        "source": "rescue",
        "police_station": orgs["ps_civil"],
        "district": "Meerut",
        "sex": "female",
        "apparent_age": None,
        "age_band": "15-17",
        "age_basis": "appearance",
        "age_assessed_at": now - datetime.timedelta(hours=2),
        "languages": ["hi"],
        "needs": ["counselling"],
        "name": "No-script Child %(tag)s (fictional)",
        "aliases": "",
        "guardian_name": "",
        "guardian_contact": "",
        "address": "",
        "school": "",
        "identifying_marks": "",
        "circumstances": "Fictional record for a browser test.",
    },
)
referral, _created = services.referral_create(
    actor=people["ahtu_officer"],
    case=case,
    to_org=orgs["ngo"],
    service="counselling",
    urgency="urgent",
    note="",
    idempotency_key=uuid.uuid4(),
)
print(json.dumps({"referral": referral.pk, "counsellor": people["ngo_counsellor"].pk,
                  "state": referral.state}))
"""


@pytest.mark.parametrize("lang", LANGS)
def test_accept_a_referral_without_javascript(hub: Hub, no_js: Any, shots: Any, lang: str) -> None:
    made = _shell_json(hub, REFERRAL % {"tag": uuid.uuid4().hex[:6]})
    assert made["state"] == "sent"
    page = _log_in(no_js(lang), "ngo_coordinator", lang)
    page.goto(f"/cases/referrals/{made['referral']}/")
    shots(page, f"referral-{lang}")
    assert no_horizontal_scroll(page)
    page.select_option("#cw", str(made["counsellor"]))
    page.locator("form[action$='/accept/'] button[type=submit]").click()
    page.wait_for_load_state("load")
    shots(page, f"accepted-{lang}")
    assert page.url.endswith(f"/cases/referrals/{made['referral']}/")
    assert page.locator(".messages .message").count() == 1
    stored = _shell_json(
        hub,
        "import json\nfrom referrals.models import Referral\n"
        f"r = Referral.objects.get(pk={made['referral']})\n"
        "print(json.dumps([r.state, r.caseworker_id]))",
    )
    assert stored == ["accepted", made["counsellor"]]


TASK = """
import datetime, json
from django.utils import timezone
from raids import services
from raids.models import Raid
people = demo_people()
raid = Raid.objects.get(codename="NEELGAI")
task = services.task_create(
    actor=people["ahtu_officer"],
    raid=raid,
    title="Hindi-speaking woman officer %(tag)s",
    due=timezone.now() + datetime.timedelta(days=1),
    owner_org=people["orgs"]["ngo"],
)
print(json.dumps({"raid": raid.pk, "task": task.pk, "state": task.state}))
"""


@pytest.mark.parametrize("lang", LANGS)
def test_update_a_raid_task_without_javascript(hub: Hub, no_js: Any, shots: Any, lang: str) -> None:
    made = _shell_json(hub, TASK % {"tag": uuid.uuid4().hex[:6]})
    assert made["state"] == "open"
    page = _log_in(no_js(lang), "ngo_counsellor", lang)  # on the raid's team
    page.goto(f"/raids/{made['raid']}/")
    row = page.locator(f"#task-{made['task']}")
    row.scroll_into_view_if_needed()
    shots(page, f"raid-{lang}")
    assert no_horizontal_scroll(page)
    row.locator("select[name=to_state]").select_option("blocked")
    row.locator("input[name=reason]").fill("Waiting for the DCPU panel")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    shots(page, f"task-blocked-{lang}")
    assert f"/raids/{made['raid']}/" in page.url
    assert "Waiting for the DCPU panel" in page.locator(f"#task-{made['task']}").inner_text()
    stored = _shell_json(
        hub,
        "import json\nfrom raids.models import Task\n"
        f"t = Task.objects.get(pk={made['task']})\n"
        "print(json.dumps([t.state, t.blocked_reason]))",
    )
    assert stored == ["blocked", "Waiting for the DCPU panel"]


MINUTES = """
import datetime, json
from django.utils import timezone
from meetings import services
from meetings.models import Meeting
people = demo_people()
orgs = people["orgs"]
convenor = people["convenor"]
start = timezone.now() - datetime.timedelta(days=2)
meeting = services.meeting_schedule(
    actor=convenor,
    data={
        "title": "Review %(tag)s",
        "kind": Meeting.Kind.MONTHLY_REVIEW,
        "start": start,
        "end": start + datetime.timedelta(hours=1),
        "venue": "Collectorate meeting hall, Meerut",
        "online_link": "",
        "chair": people["admin_officer"],
        "invited_organisations": [orgs[k] for k in ("ahtu", "ngo", "cwc", "mp")],
        "invited_people": [],
    },
)
services.agenda_item_add(
    actor=convenor,
    meeting=meeting,
    data={
        "title": "Shelter capacity",
        "description": "",
        "presenter_organisation": orgs["ngo"],
        "minutes_allotted": 10,
        "is_confidential": False,
        "named_people": [],
    },
)
meeting = services.meeting_mark_held(actor=convenor, meeting=meeting)
minutes = services.minutes_start(actor=convenor, meeting=meeting)
minutes = services.minutes_circulate(actor=convenor, minutes=minutes)
item = minutes.items.get()
print(json.dumps({"minutes": minutes.pk, "item": item.pk, "state": minutes.state}))
"""


@pytest.mark.parametrize("lang", LANGS)
def test_comment_on_minutes_without_javascript(hub: Hub, no_js: Any, shots: Any, lang: str) -> None:
    made = _shell_json(hub, MINUTES % {"tag": uuid.uuid4().hex[:6]})
    assert made["state"] == "circulated"
    page = _log_in(no_js(lang), "ngo_coordinator", lang)  # the NGO is invited
    page.goto(f"/meetings/minutes/{made['minutes']}/")
    shots(page, f"minutes-{lang}")
    assert no_horizontal_scroll(page)
    form = page.locator(f"form[action$='/minutes/items/{made['item']}/comment/']")
    comment = f"Add the shelter's waiting list ({lang})."
    form.locator("textarea[name=text]").fill(comment)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    shots(page, f"commented-{lang}")
    assert page.url.endswith(f"/meetings/minutes/{made['minutes']}/")
    assert comment in page.locator("main").inner_text()
    stored = _shell_json(
        hub,
        "import json\nfrom meetings.models import MinutesComment\n"
        f"print(json.dumps(list(MinutesComment.objects.filter(item_id={made['item']})"
        ".values_list('text', flat=True))))",
    )
    assert stored == [comment]
