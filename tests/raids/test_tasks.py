"""The live coordination board: tasks, their states and the ordered log of changes."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from notifications.models import Notification
from raids import services
from raids.choices import RaidStatus, TaskState
from raids.models import Task, TaskEvent
from tests.raids.helpers import LOCATION, make_raid

pytestmark = pytest.mark.django_db


def _task(personas, raid, title="Vehicles", **owner):
    owner = owner or {"owner_org": personas["orgs"]["ahtu"]}
    return services.task_create(
        actor=personas["ahtu_officer"],
        raid=raid,
        title=title,
        due=raid.window_start - datetime.timedelta(hours=2),
        **owner,
    )


def test_lead_creates_a_task_and_the_team_is_told(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.APPROVED)
    Notification.objects.all().delete()
    due = (raid.window_start - datetime.timedelta(hours=3)).astimezone(
        datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    )
    response = login(personas["ahtu_officer"]).post(
        reverse("raids:task_create", args=[raid.pk]),
        {
            "title": "Shelter beds",
            "owner_user": personas["ngo_counsellor"].pk,
            "due": due.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.owner_user == personas["ngo_counsellor"] and task.state == TaskState.OPEN
    assert task.due == due.replace(second=0, microsecond=0)
    recipients = set(Notification.objects.values_list("recipient__email", flat=True))
    assert recipients == {
        personas[k].email for k in ("police_supervisor", "ngo_counsellor", "cwc_member")
    }
    for n in Notification.objects.all():
        assert n.title == "Raid KESTREL: new task" and n.kind == "raid.task"
        assert "Shelter" not in n.title and LOCATION not in n.title


def test_task_owner_must_be_on_the_team(personas) -> None:
    raid = make_raid(personas)
    with pytest.raises(ValidationError):
        _task(personas, raid, owner_user=personas["station_officer"])
    with pytest.raises(ValidationError):
        _task(personas, raid, owner_org=personas["orgs"]["shelter"])
    with pytest.raises(ValidationError):
        services.task_create(
            actor=personas["ahtu_officer"], raid=raid, title="x", due=raid.window_start
        )
    with pytest.raises(PermissionDenied):
        services.task_create(
            actor=personas["ngo_counsellor"],
            raid=raid,
            title="x",
            due=raid.window_start,
            owner_org=personas["orgs"]["ngo"],
        )


def test_members_move_tasks_through_their_states(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    task = _task(personas, raid)
    client = login(personas["ngo_counsellor"])
    url = reverse("raids:task_move", args=[raid.pk, task.pk])
    assert client.post(url, {"to_state": "acknowledged"}).status_code == 302
    # Blocked needs a reason.
    client.post(url, {"to_state": "blocked"})
    task.refresh_from_db()
    assert task.state == TaskState.ACKNOWLEDGED
    client.post(url, {"to_state": "blocked", "reason": "No driver"})
    task.refresh_from_db()
    assert task.state == TaskState.BLOCKED and task.blocked_reason == "No driver"
    client.post(url, {"to_state": "done"})
    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.blocked_reason == ""
    # Done is final.
    with pytest.raises(ValidationError) as exc:
        services.task_move(actor=personas["cwc_member"], task=task, to_state="open")
    assert "This task is done" in exc.value.messages[0]
    states = list(TaskEvent.objects.filter(task=task).values_list("from_state", "to_state"))
    assert states == [
        ("", "open"),
        ("open", "acknowledged"),
        ("acknowledged", "blocked"),
        ("blocked", "done"),
    ]


def test_outsiders_cannot_move_tasks(personas, login, outsiders) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    task = _task(personas, raid)
    url = reverse("raids:task_move", args=[raid.pk, task.pk])
    for key, user in outsiders.items():
        assert login(user).post(url, {"to_state": "done"}).status_code in (403, 404), key
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_concurrent_changes_are_both_kept_and_ordered(personas) -> None:
    """Two members loaded the board with the task open; both act.  Both changes are kept,
    applied one after the other, in the order they committed."""
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    task = _task(personas, raid)
    seen_by_a = Task.objects.select_related("raid").get(pk=task.pk)
    seen_by_b = Task.objects.select_related("raid").get(pk=task.pk)
    services.task_move(actor=personas["ngo_counsellor"], task=seen_by_a, to_state="acknowledged")
    services.task_move(
        actor=personas["cwc_member"], task=seen_by_b, to_state="blocked", reason="No CWC quorum"
    )
    task.refresh_from_db()
    assert task.state == TaskState.BLOCKED and task.version == 3
    events = list(TaskEvent.objects.filter(task=task).order_by("id"))
    assert [(e.actor.email, e.from_state, e.to_state) for e in events[1:]] == [
        (personas["ngo_counsellor"].email, "open", "acknowledged"),
        (personas["cwc_member"].email, "acknowledged", "blocked"),
    ]


def test_a_move_made_pointless_by_another_is_refused_clearly(personas) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    task = _task(personas, raid)
    stale = Task.objects.select_related("raid").get(pk=task.pk)
    services.task_move(actor=personas["ngo_counsellor"], task=task, to_state="done")
    with pytest.raises(ValidationError):
        services.task_move(actor=personas["cwc_member"], task=stale, to_state="acknowledged")
    assert TaskEvent.objects.filter(task=task).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_changes_on_postgres_are_serialised(personas) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    tasks = [_task(personas, raid, title=f"T{i}") for i in range(2)]
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def act(user, task, to_state, reason=""):
        from django.db import connection as conn

        try:
            barrier.wait()
            services.task_move(actor=user, task=task, to_state=to_state, reason=reason)
        except ValidationError as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [
        threading.Thread(target=act, args=(personas["ngo_counsellor"], tasks[0], "acknowledged")),
        threading.Thread(target=act, args=(personas["cwc_member"], tasks[0], "blocked", "r")),
        threading.Thread(target=act, args=(personas["ngo_counsellor"], tasks[1], "done")),
        threading.Thread(target=act, args=(personas["cwc_member"], tasks[1], "acknowledged")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Task 0: both moves are valid in either order; both are kept.
    t0 = Task.objects.get(pk=tasks[0].pk)
    assert TaskEvent.objects.filter(task=t0).count() == 3
    assert t0.version == 3
    # Task 1: "done" then "acknowledged" is refused; "acknowledged" then "done" keeps both.
    t1 = Task.objects.get(pk=tasks[1].pk)
    assert t1.state == TaskState.DONE
    assert TaskEvent.objects.filter(task=t1).count() in (2, 3)
    assert len(errors) == 3 - TaskEvent.objects.filter(task=t1).count()
    # The log replays to the stored states.
    for task in (t0, t1):
        state = ""
        for event in TaskEvent.objects.filter(task=task).order_by("id"):
            assert event.from_state == state
            state = event.to_state
        assert state == task.state


def test_board_fragment_refreshes_on_raid_notifications(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    _task(personas, raid, title="Vehicles")
    detail = login(personas["cwc_member"]).get(raid.get_absolute_url()).content.decode()
    assert 'hx-trigger="ftu:notify:raid from:body"' in detail
    assert f'hx-get="{reverse("raids:board", args=[raid.pk])}"' in detail
    assert "Vehicles" in detail  # the board is in the page itself, without JavaScript
    fragment = login(personas["cwc_member"]).get(reverse("raids:board", args=[raid.pk]))
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "Vehicles" in body and "<html" not in body


def test_htmx_move_returns_the_fresh_board(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    task = _task(personas, raid)
    response = login(personas["cwc_member"]).post(
        reverse("raids:task_move", args=[raid.pk, task.pk]),
        {"to_state": "acknowledged"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Acknowledged" in response.content.decode()


def test_notifications_go_to_the_team_only(personas, outsiders) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    task = _task(personas, raid)
    services.task_move(actor=personas["cwc_member"], task=task, to_state="acknowledged")
    for user in outsiders.values():
        assert not Notification.objects.filter(recipient=user).exists()
    assert not Notification.objects.filter(
        recipient=personas["cwc_member"], title__contains="task changed"
    ).exists()
    titles = set(Notification.objects.values_list("title", flat=True))
    assert all(t.startswith("Raid KESTREL: ") for t in titles)


def test_list_pages_keep_a_constant_number_of_queries(
    personas, login, django_assert_max_num_queries
) -> None:
    lead = personas["ahtu_officer"]
    client = login(lead)
    make_raid(personas, codename="R0")
    client.get(reverse("raids:list"))  # warm caches (session, content types)
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("raids:list"))
    for i in range(1, 8):
        raid = make_raid(personas, codename=f"R{i}")
        _task(personas, raid)
    with django_assert_max_num_queries(12) as many:
        response = client.get(reverse("raids:list"))
    assert response.content.decode().count("/raids/") >= 8
    assert len(many.captured_queries) == len(one.captured_queries)


def test_board_keeps_a_constant_number_of_queries(
    personas, login, django_assert_max_num_queries
) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    client = login(personas["cwc_member"])
    _task(personas, raid)
    client.get(reverse("raids:board", args=[raid.pk]))
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("raids:board", args=[raid.pk]))
    for i in range(6):
        task = _task(personas, raid, title=f"T{i}", owner_user=personas["ngo_counsellor"])
        services.task_move(actor=personas["ngo_counsellor"], task=task, to_state="acknowledged")
    with django_assert_max_num_queries(20) as many:
        client.get(reverse("raids:board", args=[raid.pk]))
    assert len(many.captured_queries) == len(one.captured_queries)
