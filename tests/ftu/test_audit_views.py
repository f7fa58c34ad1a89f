"""The convenor's audit pages: the filtered log and "who accessed this"."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ftu import audit
from ftu.models import AuditEvent

pytestmark = pytest.mark.django_db


def _events(personas: dict[str, Any]) -> dict[str, AuditEvent]:
    orgs = personas["orgs"]
    return {
        "accept": audit.record(
            actor=personas["ngo_coordinator"],
            organisation=orgs["ngo"],
            action="referral.accept",
            object_type="agencies.invitation",
            object_id="41",
        ),
        "reveal": audit.record(
            actor=personas["cwc_member"],
            organisation=orgs["cwc"],
            action="child.reveal",
            object_type="agencies.organisation",
            object_id="7",
            fields=["name", "guardian"],
            reason="Production before the committee",
        ),
        "denied": audit.record(
            actor=personas["media_member"],
            organisation=orgs["media"],
            action="child.reveal",
            object_type="agencies.organisation",
            object_id="7",
            outcome=AuditEvent.Outcome.DENIED,
        ),
        "login": audit.record(actor=personas["convenor"], action="login"),
    }


def _seqs(response: Any) -> list[int]:
    return [e.seq for e in response.context["page"]]


def test_convenor_sees_the_log_newest_first(personas: dict[str, Any], login: Any) -> None:
    events = _events(personas)
    response = login(personas["convenor"]).get(reverse("audit:list"))
    assert response.status_code == 200
    # Every row, newest first: the seeded events and the convenor's own log-in.
    assert _seqs(response) == list(AuditEvent.objects.values_list("seq", flat=True))
    assert {e.seq for e in events.values()} <= set(_seqs(response))
    body = response.content.decode()
    assert "child.reveal" in body
    assert "Production before the committee" in body
    # The object links to its "who accessed this" page.
    assert reverse("audit:object", args=["agencies.organisation", "7"]) in body


@pytest.mark.parametrize(
    "key",
    ["police_supervisor", "ahtu_officer", "cwc_chair", "ngo_coordinator", "media_member",
     "mp_reviewer", "outsider"],
)  # fmt: skip
def test_people_other_than_the_convenor_get_403_on_the_log(
    personas: dict[str, Any], login: Any, key: str
) -> None:
    _events(personas)
    assert login(personas[key]).get(reverse("audit:list")).status_code == 403


def test_anonymous_is_sent_to_log_in(personas: dict[str, Any], login: Any) -> None:
    response = login(None).get(reverse("audit:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "child."}, ["denied", "reveal"]),
        ({"action": "referral."}, ["accept"]),
        ({"object_type": "agencies.organisation"}, ["denied", "reveal"]),
        ({"outcome": "denied"}, ["denied"]),
    ],
)
def test_filters_narrow_the_log(
    personas: dict[str, Any], login: Any, query: dict[str, str], expected: list[str]
) -> None:
    events = _events(personas)
    response = login(personas["convenor"]).get(reverse("audit:list"), query)
    assert _seqs(response) == sorted((events[k].seq for k in expected), reverse=True)


def test_filter_by_person_and_organisation(personas: dict[str, Any], login: Any) -> None:
    events = _events(personas)
    client = login(personas["convenor"])
    by_person = client.get(reverse("audit:list"), {"actor": personas["cwc_member"].pk})
    assert _seqs(by_person) == [events["reveal"].seq]
    by_org = client.get(reverse("audit:list"), {"organisation": personas["orgs"]["media"].pk})
    assert _seqs(by_org) == [events["denied"].seq]


def test_filter_by_date_range_uses_indian_days(personas: dict[str, Any], login: Any) -> None:
    events = _events(personas)
    # Rows are append-only: place one on another day by writing it with a frozen clock.
    old_day = timezone.now() - datetime.timedelta(days=10)
    from unittest import mock

    with mock.patch("ftu.audit.timezone.now", return_value=old_day):
        old = audit.record(actor=personas["convenor"], action="organisation.update")
    client = login(personas["convenor"])
    local_old = timezone.localdate(old_day)
    response = client.get(
        reverse("audit:list"),
        {"created_after": local_old.isoformat(), "created_before": local_old.isoformat()},
    )
    assert _seqs(response) == [old.seq]
    today = timezone.localdate()
    recent = client.get(reverse("audit:list"), {"created_after": today.isoformat()})
    assert old.seq not in _seqs(recent)
    assert events["login"].seq in _seqs(recent)


def test_list_query_count_does_not_grow_with_rows(
    personas: dict[str, Any], login: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _events(personas)
    client = login(personas["convenor"])
    client.get(reverse("audit:list"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("audit:list"))
    people = [p for k, p in personas.items() if k != "orgs"]
    orgs = list(personas["orgs"].values())
    for i in range(60):
        audit.record(
            actor=people[i % len(people)] if people[i % len(people)].is_active else None,
            organisation=orgs[i % len(orgs)],
            action=f"test.event{i}",
            object_type="agencies.organisation",
            object_id=str(i),
        )
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("audit:list"))
    assert len(response.context["page"]) == 50
    # A small number in all: session, user, memberships, the bell's unread count, count,
    # page, the two filter lists.
    assert len(few) <= 13


def test_an_object_without_a_page_is_shown_without_a_link(
    personas: dict[str, Any], login: Any
) -> None:
    audit.record(actor=None, action="test.odd", object_type="session", object_id="a/b c")
    response = login(personas["convenor"]).get(reverse("audit:list"))
    assert response.status_code == 200
    assert "session a/b c" in response.content.decode()


def test_pages_go_back_by_sequence_and_keep_the_filters(
    personas: dict[str, Any], login: Any
) -> None:
    for i in range(55):
        audit.record(actor=None, action=f"test.event{i}")
    audit.record(actor=None, action="other.event")
    client = login(personas["convenor"])
    first = client.get(reverse("audit:list"), {"action": "test."})
    assert len(first.context["page"]) == 50
    older_url = first.context["older_url"]
    assert "action=test." in older_url and "before=" in older_url
    assert first.context["newest_url"] == ""
    second = client.get(reverse("audit:list") + older_url)
    assert len(second.context["page"]) == 5
    assert set(_seqs(first)).isdisjoint(_seqs(second))
    assert max(_seqs(second)) < min(_seqs(first))
    assert second.context["older_url"] == ""
    assert second.context["newest_url"] == "?action=test."
    # A malformed cursor is ignored rather than an error.
    assert client.get(reverse("audit:list"), {"before": "x"}).status_code == 200


def test_the_object_page_is_paginated(personas: dict[str, Any], login: Any) -> None:
    org = personas["orgs"]["ngo"]
    for _ in range(55):
        audit.record(actor=None, action="organisation.view", obj=org)
    url = reverse("audit:object", args=["agencies.organisation", str(org.pk)])
    client = login(personas["convenor"])
    assert len(client.get(url).context["page"]) == 50
    assert len(client.get(url, {"page": 2}).context["page"]) == 5


def test_who_accessed_this_lists_only_that_object(personas: dict[str, Any], login: Any) -> None:
    events = _events(personas)
    url = reverse("audit:object", args=["agencies.organisation", "7"])
    response = login(personas["convenor"]).get(url)
    assert response.status_code == 200
    assert _seqs(response) == [events["denied"].seq, events["reveal"].seq]
    assert personas["cwc_member"].full_name in response.content.decode()


def test_who_accessed_url_names_the_page_of_an_instance(personas: dict[str, Any]) -> None:
    from ftu.audit_views import who_accessed_url

    org = personas["orgs"]["ngo"]
    assert who_accessed_url(org) == f"/audit/object/agencies.organisation/{org.pk}/"


def test_who_accessed_this_outlives_the_object(personas: dict[str, Any], login: Any) -> None:
    # Nothing recorded, or the object is gone: still a page (the log is what is read).
    url = reverse("audit:object", args=["agencies.organisation", "999999"])
    response = login(personas["convenor"]).get(url)
    assert response.status_code == 200
    assert _seqs(response) == []


@pytest.mark.parametrize("key", ["police_supervisor", "cwc_chair", "media_member", "outsider"])
def test_who_accessed_this_is_404_for_others(
    personas: dict[str, Any], login: Any, key: str
) -> None:
    _events(personas)
    url = reverse("audit:object", args=["agencies.organisation", "7"])
    assert login(personas[key]).get(url).status_code == 404


def test_who_accessed_this_refuses_malformed_ids(personas: dict[str, Any], login: Any) -> None:
    url = reverse("audit:object", args=["not a label", "7"])
    assert login(personas["convenor"]).get(url).status_code == 404


def test_the_log_is_in_the_convenors_menu_only(personas: dict[str, Any], login: Any) -> None:
    url = reverse("audit:list")
    home = reverse("home")
    assert f'href="{url}"' in login(personas["convenor"]).get(home).content.decode()
    assert f'href="{url}"' not in login(personas["police_supervisor"]).get(home).content.decode()


def test_post_is_refused(personas: dict[str, Any], login: Any) -> None:
    response = login(personas["convenor"]).post(reverse("audit:list"))
    assert response.status_code == 405


def test_a_refused_page_is_audited(personas: dict[str, Any], login: Any) -> None:
    media = personas["media_member"]
    assert login(media).get(reverse("audit:list")).status_code == 403
    event = AuditEvent.objects.get(action="access.denied")
    assert (event.actor_id, event.object_type, event.object_id) == (media.pk, "url", "audit:list")
    assert event.outcome == AuditEvent.Outcome.DENIED
    assert event.request_id  # ties the row to the log lines of the request


def test_an_object_page_outside_reach_is_audited(personas: dict[str, Any], login: Any) -> None:
    url = reverse("audit:object", args=["agencies.organisation", "7"])
    assert login(personas["outsider"]).get(url).status_code == 404
    event = AuditEvent.objects.get(action="access.denied", actor=personas["outsider"])
    assert event.reason == "object_id=7 object_type=agencies.organisation"
    # A 404 raised by the view itself (visible_to, or no such row) is recorded too.
    bad = reverse("audit:object", args=["no-dot", "7"])
    assert login(personas["convenor"]).get(bad).status_code == 404
    assert AuditEvent.objects.filter(
        action="access.not_found", actor=personas["convenor"], object_id="audit:object"
    ).exists()


def test_anonymous_visits_are_not_audited(personas: dict[str, Any], login: Any) -> None:
    login(None).get(reverse("audit:list"))
    assert not AuditEvent.objects.filter(action__startswith="access.").exists()


def test_the_hourly_anchor_logs_the_head(personas: dict[str, Any], caplog: Any) -> None:
    import datetime as dt

    from ftu.scheduling import run_tick

    event = audit.record(actor=None, action="test.event")
    at = timezone.now().replace(minute=0, second=0, microsecond=0)
    with caplog.at_level("INFO", logger="ftu.audit.anchor"):
        assert run_tick(at + dt.timedelta(minutes=1)) == []
        assert not [r for r in caplog.records if r.name == "ftu.audit.anchor"]
        assert run_tick(at) == []
    (record,) = [r for r in caplog.records if r.name == "ftu.audit.anchor"]
    assert record.getMessage() == f"audit anchor {event.seq}:{event.hash}"
