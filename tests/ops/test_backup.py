"""Backups: the encrypted stream, the keys kept apart, and the restore drill (PostgreSQL)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import CommandError, call_command
from django.db import connection

from agencies import demo
from ftu import audit, backup

ROOT = Path(__file__).resolve().parents[2]


# --- the encrypted stream (no database) ---------------------------------------------------
def _roundtrip(data: bytes, key: bytes) -> tuple[bytes, bytes]:
    sealed = io.BytesIO()
    backup.encrypt_stream(io.BytesIO(data), sealed, key)
    return sealed.getvalue(), data


@pytest.mark.parametrize("size", [0, 1, backup.CHUNK, backup.CHUNK * 2 + 17])
def test_stream_roundtrip(size: int) -> None:
    key = os.urandom(32)
    data = os.urandom(size)
    sealed, _ = _roundtrip(data, key)
    assert size < 64 or data[:64] not in sealed
    out = io.BytesIO()
    backup.decrypt_stream(io.BytesIO(sealed), out, key)
    assert out.getvalue() == data


def _fails(sealed: bytes, key: bytes) -> None:
    with pytest.raises(backup.BackupError):
        backup.decrypt_stream(io.BytesIO(sealed), io.BytesIO(), key)


def test_stream_refuses_wrong_key_alteration_truncation_and_reordering() -> None:
    key = os.urandom(32)
    sealed, _ = _roundtrip(os.urandom(backup.CHUNK * 2 + 5), key)
    _fails(sealed, os.urandom(32))
    flipped = bytearray(sealed)
    flipped[100] ^= 1
    _fails(bytes(flipped), key)
    frame = 4 + backup.CHUNK + 16
    header = len(backup.MAGIC) + backup.SALT_BYTES
    _fails(sealed[: header + frame], key)  # cut after a full (non-final) chunk
    _fails(sealed[:-3], key)
    swapped = sealed[:header] + sealed[header + frame : header + 2 * frame]
    _fails(swapped + sealed[header : header + frame] + sealed[header + 2 * frame :], key)
    _fails(b"not a backup at all", key)


def test_backup_key_must_stand_apart(settings: Any, tmp_path: Path) -> None:
    settings.BACKUP_ENCRYPTION_KEY_FILE = ""
    settings.BACKUP_ENCRYPTION_KEY = ""
    with pytest.raises(backup.BackupError, match="No backup key"):
        backup.load_key()
    settings.BACKUP_ENCRYPTION_KEY = settings.FIELD_ENCRYPTION_KEYS[0]
    with pytest.raises(backup.BackupError, match="field-encryption key"):
        backup.load_key()
    settings.BACKUP_ENCRYPTION_KEY = "c2hvcnQ="
    with pytest.raises(backup.BackupError, match="32 bytes"):
        backup.load_key()
    key_file = tmp_path / "backup.key"
    key_file.write_text(backup.generate_key())
    key_file.chmod(0o644)
    settings.BACKUP_ENCRYPTION_KEY_FILE = str(key_file)
    with pytest.raises(backup.BackupError, match="readable by others"):
        backup.load_key()
    key_file.chmod(0o400)
    assert len(backup.load_key()) == 32


def test_backup_needs_postgresql(settings: Any, db: Any) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("SQLite-only refusal")
    settings.BACKUP_ENCRYPTION_KEY = backup.generate_key()
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("backup_db")


# --- the restore drill -----------------------------------------------------------------------
VERIFY = """
import hashlib, json
from allauth.mfa.models import Authenticator
from django.db import connection
from ftu import backup
from ftu.audit import verify_chain
from ftu.crypto import decrypt_str
report = verify_chain()
secret = decrypt_str(Authenticator.objects.get(user_id={user_id}, type="totp").data["secret"])
with connection.cursor() as cur:
    counts = backup.count_rows(cur)
print(json.dumps({{"ok": report.ok, "checked": report.checked, "problem": report.problem,
    "secret_sha256": hashlib.sha256(secret.encode()).hexdigest(), "counts": counts}}))
"""


def verify_restored(name: str, user_id: int, field_keys: list[str]) -> dict[str, Any]:
    """What an operator does after a restore: a separate process pointed at the copy runs
    verify_audit's chain check and opens a protected value with the field keys."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{name}"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update({"DATABASE_URL": url, "FIELD_ENCRYPTION_KEYS": ",".join(field_keys)})
    proc = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", VERIFY.format(user_id=user_id)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def drop_databases() -> Any:
    names: list[str] = []
    yield names
    for name in names:
        with connection.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_restore_drill(
    settings: Any, tmp_path: Path, audit_db: None, drop_databases: list[str], capsys: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the restore drill needs PostgreSQL (pg_dump/pg_restore)")
    key_file = tmp_path / "backup.key"
    key_file.write_text(backup.generate_key())
    key_file.chmod(0o400)
    settings.BACKUP_ENCRYPTION_KEY_FILE = str(key_file)
    settings.BACKUP_ENCRYPTION_KEY = ""

    # Seed: the demo world, audit rows, and a protected value (the TOTP secret, encrypted
    # with the field keys by agencies.adapters.MFAAdapter).
    world = demo.build(password=None, demo=False)
    officer = world["ahtu_officer"]
    for i in range(25):
        audit.record(actor=officer, action="case.view", object_type="case", object_id=i)
    secret = generate_totp_secret()
    TOTP.activate(officer, secret)
    stored = Authenticator.objects.get(user=officer, type=Authenticator.Type.TOTP)
    assert secret not in json.dumps(stored.data)  # encrypted at rest
    live_audit = audit.verify_chain()
    assert live_audit.ok

    t0 = time.monotonic()
    out = io.StringIO()
    call_command("backup_db", "--output-dir", str(tmp_path / "backups"), stdout=out)
    backup_seconds = time.monotonic() - t0
    summary = json.loads(out.getvalue())
    dump = Path(summary["file"])
    assert dump.stat().st_mode & 0o077 == 0
    manifest = json.loads(Path(summary["manifest"]).read_text())
    assert manifest["tables"]["public.ftu_auditevent"] == live_audit.checked
    assert manifest["tables"]["public.agencies_user"] == len(demo.PEOPLE)
    assert secret.encode() not in dump.read_bytes()
    assert b"PGDMP" not in dump.read_bytes()  # the custom-format magic: not in clear

    target = f"{settings.DATABASES['default']['NAME']}_drill_{secrets.token_hex(3)}"
    drop_databases.append(target)
    t0 = time.monotonic()
    out = io.StringIO()
    call_command("restore_db", str(dump), "--target", target, stdout=out)
    restore_seconds = time.monotonic() - t0

    # verify_audit's chain check and the field keys, against the restored copy.
    restored = verify_restored(target, officer.pk, settings.FIELD_ENCRYPTION_KEYS)
    assert restored["ok"], restored["problem"]
    assert restored["checked"] == live_audit.checked
    assert restored["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    # Row counts: restored == manifest == the live database at backup time.
    assert restored["counts"] == manifest["tables"]
    with connection.cursor() as cur:
        live = backup.count_rows(cur)
    assert live["public.agencies_user"] == restored["counts"]["public.agencies_user"]

    # A second restore into the now non-empty copy is refused.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore_db", str(dump), "--target", target)
    # Restoring over the live database is refused.
    with pytest.raises(CommandError, match="using"):
        call_command("restore_db", str(dump), "--target", settings.DATABASES["default"]["NAME"])

    figures = {
        "backup_seconds": round(backup_seconds, 2),
        "restore_seconds": round(restore_seconds, 2),
        "bytes": summary["bytes"],
        "rows": summary["rows"],
        "tables": len(manifest["tables"]),
    }
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "restore-drill.json").write_text(json.dumps(figures, indent=2))
    with capsys.disabled():
        print(f"\nrestore drill: {figures}")


def test_restore_refuses_an_altered_manifest(settings: Any, tmp_path: Path, audit_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    settings.BACKUP_ENCRYPTION_KEY = backup.generate_key()
    demo.build(password=None, demo=False)
    result = backup.create_backup(tmp_path)
    manifest = json.loads(result.manifest_path.read_text())
    manifest["tables"]["public.agencies_user"] += 1
    result.manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(backup.BackupError, match="altered"):
        backup.restore_backup(result.path, "never_created_db")
    settings.BACKUP_ENCRYPTION_KEY = backup.generate_key()
    with pytest.raises(backup.BackupError, match="another backup key"):
        backup.restore_backup(result.path, "never_created_db")
