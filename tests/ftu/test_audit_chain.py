"""The audit chain: append-only in the database, and any edit or deletion found."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from ftu import audit
from ftu.models import AuditEvent

pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (concurrent writers)"
)


@contextlib.contextmanager
def as_table_owner() -> Iterator[Any]:
    """An attacker with the table owner's rights, who can lift the triggers.

    ``audit.maintenance()`` lifts them for DELETE; on PostgreSQL its trigger keeps the old row
    on UPDATE (``RETURN OLD``), so the owner disables the triggers instead.
    """
    with audit.maintenance(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks of the test's inserts must run before the ALTER.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE ftu_auditevent DISABLE TRIGGER USER")
        yield cur
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE ftu_auditevent ENABLE TRIGGER USER")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


def _chain(n: int = 5) -> list[AuditEvent]:
    return [
        audit.record(actor=None, action=f"test.event{i}", object_type="t.x", object_id=i)
        for i in range(n)
    ]


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_clean_chain_passes_and_prints_its_head() -> None:
    events = _chain()
    out = _verify()
    assert "intact: 5 events" in out
    assert f"Head: {events[-1].seq}:{events[-1].hash}" in out


@pytest.mark.django_db
def test_an_empty_chain_passes() -> None:
    assert "intact: 0 events" in _verify()


@pytest.mark.django_db
def test_a_row_edited_by_an_owner_is_found() -> None:
    events = _chain()
    # An attacker with the table owner's rights can lift the triggers: the chain still tells.
    with as_table_owner() as cur:
        cur.execute(
            "UPDATE ftu_auditevent SET reason = %s WHERE seq = %s", ["nothing", events[2].seq]
        )
    with pytest.raises(CommandError, match=rf"broken at event #{events[2].seq}: row content"):
        _verify()


@pytest.mark.django_db
def test_a_row_rehashed_by_an_owner_breaks_the_next_link() -> None:
    events = _chain()
    target = AuditEvent.objects.get(seq=events[1].seq)
    target.reason = "rewritten"
    new_hash = audit.chain_hash(target.prev_hash, target)
    with as_table_owner() as cur:
        cur.execute(
            "UPDATE ftu_auditevent SET reason = %s, hash = %s WHERE seq = %s",
            ["rewritten", new_hash, target.seq],
        )
    with pytest.raises(CommandError, match=rf"#{events[2].seq}: link to the previous row"):
        _verify()


@pytest.mark.django_db
def test_a_chain_rewritten_from_the_edit_onwards_is_found_by_the_anchor() -> None:
    # The hash is keyless: an owner can recompute every later row.  The head kept outside the
    # database (the hourly anchor) is what still tells.
    events = _chain()
    anchor = f"{events[-1].seq}:{events[-1].hash}"
    rows = list(AuditEvent.objects.order_by("seq"))
    prev = rows[1].prev_hash
    with as_table_owner() as cur:
        for i, row in enumerate(rows[1:], start=1):
            if i == 1:
                row.reason = "rewritten"
            row.prev_hash = prev
            row.hash = audit.chain_hash(prev, row)
            cur.execute(
                "UPDATE ftu_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [row.reason, row.prev_hash, row.hash, row.seq],
            )
            prev = row.hash
    assert "intact" in _verify()
    with pytest.raises(CommandError, match=rf"#{events[-1].seq}: the anchored head is different"):
        _verify("--anchor", anchor)


@pytest.mark.django_db
def test_a_deleted_row_is_found() -> None:
    events = _chain()
    with audit.maintenance(), connection.cursor() as cur:
        cur.execute("DELETE FROM ftu_auditevent WHERE seq = %s", [events[3].seq])
    with pytest.raises(CommandError, match=rf"#{events[4].seq}: row #{events[3].seq} is missing"):
        _verify()


@pytest.mark.django_db
def test_cut_off_newest_rows_are_found_with_the_anchor() -> None:
    events = _chain()
    anchor = f"{events[-1].seq}:{events[-1].hash}"
    assert "intact" in _verify("--anchor", anchor)
    with audit.maintenance(), connection.cursor() as cur:
        cur.execute("DELETE FROM ftu_auditevent WHERE seq = %s", [events[-1].seq])
    with pytest.raises(CommandError, match="anchored head is missing"):
        _verify("--anchor", anchor)


def test_verify_audit_exits_non_zero_from_the_shell(tmp_path: Any) -> None:
    # CommandError becomes exit status 1 when run as manage.py (not through call_command).
    from django.core.management import ManagementUtility

    class Broken:
        ok = False
        broken_at = 3
        problem = "row #2 is missing"
        checked = 1

    from unittest import mock

    err = StringIO()
    with (
        mock.patch("ftu.management.commands.verify_audit.verify_chain", return_value=Broken()),
        mock.patch("sys.stderr", err),
        pytest.raises(SystemExit) as exit_info,
    ):
        ManagementUtility(["manage.py", "verify_audit"]).execute()
    assert exit_info.value.code == 1
    assert "broken at event #3: row #2 is missing" in err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ftu_auditevent SET reason = 'x'",
        "DELETE FROM ftu_auditevent",
        "UPDATE ftu_auditevent SET actor_id = NULL",
    ],
)
def test_raw_update_and_delete_are_refused_by_the_database(sql: str) -> None:
    _chain(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEvent.objects.count() == 2
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_truncate_is_refused_by_the_database() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _chain(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            # Deferred foreign-key checks of the test's inserts must run before a TRUNCATE.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("TRUNCATE ftu_auditevent CASCADE")
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_maintenance_lifts_delete_but_never_update() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the owner-level unlock stands in for a table owner (see above)")
    events = _chain(2)
    with pytest.raises(DatabaseError, match="append-only"), audit.maintenance():
        with connection.cursor() as cur:
            cur.execute("UPDATE ftu_auditevent SET reason = 'x' WHERE seq = %s", [events[0].seq])
    with audit.maintenance(), connection.cursor() as cur:
        cur.execute("DELETE FROM ftu_auditevent WHERE seq = %s", [events[1].seq])
    assert list(AuditEvent.objects.values_list("reason", flat=True)) == [events[0].reason]


@pytest.mark.django_db
def test_orm_update_and_delete_are_refused() -> None:
    events = _chain(2)
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(seq=events[0].seq).update(reason="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    # Paths that bypass the queryset reach the triggers.
    event = AuditEvent.objects.get(seq=events[0].seq)
    event.reason = "x"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent._base_manager.filter(seq=events[1].seq)._raw_delete(connection.alias)
    assert AuditEvent.objects.count() == 2
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_the_triggers_are_back_after_maintenance() -> None:
    events = _chain(2)
    with audit.maintenance(), connection.cursor() as cur:
        cur.execute("DELETE FROM ftu_auditevent WHERE seq = %s", [events[1].seq])
    # Same outer transaction (the test's): the unlock must not outlive the block.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM ftu_auditevent")
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_maintenance_block_leaves_the_triggers_on() -> None:
    _chain(1)
    with pytest.raises(RuntimeError), audit.maintenance():
        raise RuntimeError("boom")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM ftu_auditevent")


@pytest.mark.django_db
def test_the_hash_covers_every_column_that_is_shown(personas: dict[str, Any]) -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8::1", HTTP_USER_AGENT="Test/1.0")
    audit.record(
        actor=personas["convenor"],
        organisation=personas["orgs"]["secretariat"],
        action="organisation.update",
        obj=personas["orgs"]["ngo"],
        fields=["phone_24x7", "name"],
        reason="कारण: new number",
        request=request,
    )
    assert audit.verify_chain().ok
    columns = ["actor_id", "organisation_id", "action", "object_type", "object_id", "fields",
               "reason", "outcome", "ip", "request_id", "user_agent", "created"]  # fmt: skip
    tampered = {
        "actor_id": personas["media_member"].pk,
        "organisation_id": personas["orgs"]["media"].pk,
        "fields": '["name"]',
        "ip": "2001:db8::2",
        "created": "2020-01-01 00:00:00",
        "outcome": "denied",
    }
    for column in columns:
        value = tampered.get(column, "changed")
        with as_table_owner() as cur:
            sid = transaction.savepoint()
            cur.execute(f"UPDATE ftu_auditevent SET {column} = %s", [value])  # noqa: S608
            report = audit.verify_chain()
            transaction.savepoint_rollback(sid)
        assert not report.ok, column
    assert audit.verify_chain().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote_addr", "stored"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("010.1.1.1", None),  # ambiguous: not stored, and the write does not fail
        ("unknown", None),
        ("", None),
    ],
)
def test_client_addresses_are_stored_as_hashed(remote_addr: str, stored: str | None) -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr)
    event = audit.record(actor=None, action="login.failed", request=request)
    assert AuditEvent.objects.get(pk=event.pk).ip == stored
    assert audit.verify_chain().ok


@pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_valid() -> None:
    threads_n, per_thread = 8, 15
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit.record(actor=None, action=f"test.thread{n}", object_id=i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = audit.verify_chain()
    assert report.ok, report
    assert report.checked == threads_n * per_thread
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, threads_n * per_thread + 1))


@pytest.mark.django_db
def test_a_rolled_back_append_leaves_no_gap() -> None:
    audit.record(actor=None, action="test.first")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=None, action="test.rolled_back")
        raise RuntimeError
    audit.record(actor=None, action="test.second")
    assert audit.verify_chain().ok
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == [seqs[0], seqs[0] + 1]
