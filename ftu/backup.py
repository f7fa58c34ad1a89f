"""Encrypted PostgreSQL backups and their restoration into a new database.

A backup is two files in the backup directory:

* ``ftu-<UTC time>.dump.enc``: ``pg_dump --format=custom`` (compressed by pg_dump itself)
  encrypted as a stream of 1 MiB AES-256-GCM chunks.  The file key is derived with HKDF
  from the backup key and a random salt in the header; each chunk's nonce is its number and
  a "last chunk" flag, and the header is authenticated with every chunk, so a reordered,
  truncated, extended or altered file fails to decrypt rather than restoring something else.
* ``ftu-<UTC time>.manifest.json``: row counts per table (taken in the very snapshot that
  pg_dump dumps), the SHA-256 of the dump and of the encrypted file, the key's id (not the
  key), the migration state and timings; signed with an HMAC under the backup key.

The backup key is 32 random bytes (urlsafe base64, ``manage.py backup_db --generate-key``)
from BACKUP_ENCRYPTION_KEY_FILE or BACKUP_ENCRYPTION_KEY.  It is refused when it equals a
field-encryption key or SECRET_KEY: a stolen dump must not come with the key that opens it,
nor with the keys that open the protected columns inside it (docs/operations.md).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

MAGIC = b"FTUBAK01"
SALT_BYTES = 16
CHUNK = 1 << 20
FORMAT = "ftu-backup-1"
_NAME = re.compile(r"^ftu-\d{8}T\d{6}Z\.(dump\.enc|manifest\.json)$")


class BackupError(Exception):
    """A backup or restore could not be done safely; the message says why."""


# --- keys -----------------------------------------------------------------------------------
def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _decode(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError) as exc:
        raise BackupError("The backup key is not urlsafe base64.") from exc
    return raw


def load_key() -> bytes:
    """The backup key, from the key file (preferred) or the variable; checked apart."""
    path = getattr(settings, "BACKUP_ENCRYPTION_KEY_FILE", "")
    if path:
        key_path = Path(path)
        if not key_path.is_file():
            raise BackupError(f"BACKUP_ENCRYPTION_KEY_FILE {path} does not exist.")
        if key_path.stat().st_mode & 0o077:
            raise BackupError(f"{path} is readable by others: chmod 0400 (or 0600) it.")
        text = key_path.read_text().strip()
    else:
        text = getattr(settings, "BACKUP_ENCRYPTION_KEY", "")
    if not text:
        raise BackupError(
            "No backup key: set BACKUP_ENCRYPTION_KEY_FILE (or BACKUP_ENCRYPTION_KEY); "
            "manage.py backup_db --generate-key prints a new one."
        )
    key = _decode(text)
    if len(key) != 32:
        raise BackupError("The backup key must be 32 bytes (manage.py backup_db --generate-key).")
    others = {_decode(k) for k in settings.FIELD_ENCRYPTION_KEYS} | {settings.SECRET_KEY.encode()}
    if key in others or text.strip() in settings.FIELD_ENCRYPTION_KEYS:
        raise BackupError("The backup key must not be a field-encryption key or SECRET_KEY.")
    return key


def key_id(key: bytes) -> str:
    """Names the key in the manifest without revealing it."""
    return hmac.new(key, b"ftu-backup-key-id", hashlib.sha256).hexdigest()[:16]


def _sign(key: bytes, manifest: dict[str, Any]) -> str:
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, b"ftu-backup-manifest\x00" + body, hashlib.sha256).hexdigest()


# --- the encrypted stream -----------------------------------------------------------------
def _cipher(key: bytes, salt: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"ftu-backup-v1")
    return AESGCM(hkdf.derive(key))


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _chunks(src: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    current = src.read(CHUNK)
    while True:
        following = src.read(CHUNK)
        yield current, not following
        if not following:
            return
        current = following


def encrypt_stream(src: IO[bytes], dst: IO[bytes], key: bytes) -> tuple[str, str]:
    """Encrypt ``src`` into ``dst``; returns (sha256 of the plaintext, of the output)."""
    salt = os.urandom(SALT_BYTES)
    header = MAGIC + salt
    aead = _cipher(key, salt)
    plain, out = hashlib.sha256(), hashlib.sha256()
    dst.write(header)
    out.update(header)
    for counter, (chunk, last) in enumerate(_chunks(src)):
        plain.update(chunk)
        sealed = aead.encrypt(_nonce(counter, last), chunk, header)
        framed = len(sealed).to_bytes(4, "big") + sealed
        dst.write(framed)
        out.update(framed)
    return plain.hexdigest(), out.hexdigest()


def decrypt_stream(src: IO[bytes], dst: IO[bytes], key: bytes) -> str:
    """Decrypt into ``dst``; returns the plaintext's sha256.  Raises BackupError if altered."""
    header = src.read(len(MAGIC) + SALT_BYTES)
    if len(header) != len(MAGIC) + SALT_BYTES or not header.startswith(MAGIC):
        raise BackupError("Not an FTU Hub backup file.")
    aead = _cipher(key, header[len(MAGIC) :])
    plain = hashlib.sha256()

    def frame() -> bytes | None:
        size = src.read(4)
        if not size:
            return None
        if len(size) != 4:
            raise BackupError("The backup file is truncated.")
        body = src.read(int.from_bytes(size, "big"))
        if len(body) != int.from_bytes(size, "big"):
            raise BackupError("The backup file is truncated.")
        return body

    counter, current = 0, frame()
    if current is None:
        raise BackupError("The backup file is truncated.")
    while current is not None:
        following = frame()
        try:
            chunk = aead.decrypt(_nonce(counter, following is None), current, header)
        except InvalidTag as exc:
            raise BackupError(
                "The backup cannot be decrypted: wrong key, or the file was altered or cut."
            ) from exc
        plain.update(chunk)
        dst.write(chunk)
        counter, current = counter + 1, following
    return plain.hexdigest()


# --- PostgreSQL ---------------------------------------------------------------------------
def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    for option, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if db.get("OPTIONS", {}).get(option):
            env[var] = str(db["OPTIONS"][option])
    return env


def _pg_args(db: dict[str, Any]) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return args


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client).")
    return path


def _require_postgres(using: str) -> dict[str, Any]:
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise BackupError("Backups need PostgreSQL; the embedded SQLite file is copied as is.")
    return connection.settings_dict


def _user_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def count_rows(cursor: Any) -> dict[str, int]:
    counts = {}
    for table in _user_tables(cursor):
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - quoted catalogue names
        counts[table] = cursor.fetchone()[0]
    return counts


@dataclass
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: dict[str, Any]
    seconds: float


def create_backup(output_dir: Path | str | None = None, using: str = "default") -> BackupResult:
    """Dump, compress, encrypt; row counts from the same snapshot; signed manifest."""
    started = time.monotonic()
    db = _require_postgres(using)
    key = load_key()
    out_dir = Path(output_dir or settings.FTU_BACKUP_DIR)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"ftu-{stamp}.dump.enc"
    manifest_path = out_dir / f"ftu-{stamp}.manifest.json"
    if path.exists():
        raise BackupError(f"{path.name} exists already: one backup per second at most.")
    partial = path.with_suffix(".part")
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError("A backup holds its own snapshot: call it outside a transaction.")
    with connection.cursor() as cursor:
        # One REPEATABLE READ snapshot for the counts and for pg_dump (--snapshot).
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            counts = count_rows(cursor)
            migrations = dict(
                MigrationRecorder.Migration.objects.using(using)
                .order_by("app", "applied", "id")
                .values_list("app", "name")
            )
            command = [
                _tool("pg_dump"),
                "--format=custom",
                "--compress=6",
                f"--snapshot={snapshot}",
                *_pg_args(db),
                "--dbname",
                str(db["NAME"]),
            ]
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as dst:
                proc = subprocess.Popen(  # noqa: S603 - fixed tool, no shell
                    command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_pg_env(db)
                )
                assert proc.stdout is not None  # noqa: S101 - Popen(stdout=PIPE) contract
                dump_sha, file_sha = encrypt_stream(proc.stdout, dst, key)
                stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                if proc.wait() != 0:
                    raise BackupError(f"pg_dump failed: {stderr.strip()[-500:]}")
                dst.flush()
                os.fsync(dst.fileno())
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            cursor.execute("ROLLBACK")
    dump_version = subprocess.run(  # noqa: S603
        [_tool("pg_dump"), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    partial.rename(path)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "database": str(db["NAME"]),
        "server_version": server_version,
        "pg_dump": dump_version,
        "file": path.name,
        "bytes": path.stat().st_size,
        "file_sha256": file_sha,
        "dump_sha256": dump_sha,
        "key_id": key_id(key),
        "tables": counts,
        "migrations": migrations,
        "seconds": round(time.monotonic() - started, 3),
    }
    manifest["hmac"] = _sign(key, manifest)
    fd = os.open(manifest_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=True)
    return BackupResult(path, manifest_path, manifest, manifest["seconds"])


def read_manifest(path: Path, key: bytes) -> dict[str, Any]:
    manifest_path = path.with_name(path.name.replace(".dump.enc", ".manifest.json"))
    if not manifest_path.exists():
        raise BackupError(f"No manifest next to {path.name}.")
    manifest = json.loads(manifest_path.read_text())
    signature = manifest.pop("hmac", "")
    if manifest.get("key_id") != key_id(key):
        raise BackupError("This backup was made with another backup key.")
    if not hmac.compare_digest(signature, _sign(key, manifest)):
        raise BackupError("The manifest was altered (its signature does not match).")
    return manifest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class RestoreResult:
    database: str
    counts: dict[str, int]
    seconds: float


def _target_url(db: dict[str, Any], name: str) -> str:
    user = urllib.parse.quote(str(db.get("USER") or ""), safe="")
    password = urllib.parse.quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{urllib.parse.quote(name, safe='')}"


def _connect(db: dict[str, Any], name: str) -> Any:
    import psycopg

    options = {k: v for k, v in db.get("OPTIONS", {}).items() if k in ("sslmode", "sslrootcert")}
    return psycopg.connect(_target_url(db, name), autocommit=True, **options)


def restore_backup(path: Path | str, target: str, using: str = "default") -> RestoreResult:
    """Restore into the NEW database ``target`` on the server of ``using``; never over data.

    Checks the manifest's signature and the file's hash before anything is written, then
    compares every table's row count with the manifest.
    """
    started = time.monotonic()
    db = _require_postgres(using)
    path = Path(path)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", target):
        raise BackupError("The target database name must be a plain identifier.")
    if target == db["NAME"]:
        raise BackupError("Refusing to restore over the database the site is using.")
    key = load_key()
    manifest = read_manifest(path, key)
    if file_sha256(path) != manifest["file_sha256"]:
        raise BackupError("The backup file does not match its manifest (SHA-256).")

    maintenance = db.get("OPTIONS", {}).get("maintenance_db", "postgres")
    with _connect(db, maintenance) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{target}"')
    with _connect(db, target) as conn, conn.cursor() as cur:
        if _user_tables(cur):
            raise BackupError(f"Database {target} is not empty: restore only into a new one.")

    command = [
        _tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        *_pg_args(db),
        "--dbname",
        target,
    ]
    proc = subprocess.Popen(  # noqa: S603 - fixed tool, no shell
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_pg_env(db),
    )
    assert proc.stdin is not None  # noqa: S101 - Popen(stdin=PIPE) contract
    try:
        with path.open("rb") as src:
            dump_sha = decrypt_stream(src, proc.stdin, key)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        if not proc.stdin.closed:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise BackupError(f"pg_restore failed: {stderr.strip()[-500:]}")
    if dump_sha != manifest["dump_sha256"]:
        raise BackupError("The decrypted dump does not match the manifest (SHA-256).")
    with _connect(db, target) as conn, conn.cursor() as cur:
        counts = count_rows(cur)
    if counts != manifest["tables"]:
        diff = {
            t: (manifest["tables"].get(t), counts.get(t))
            for t in set(counts) | set(manifest["tables"])
            if counts.get(t) != manifest["tables"].get(t)
        }
        raise BackupError(f"Row counts differ from the manifest (expected, restored): {diff}")
    return RestoreResult(target, counts, round(time.monotonic() - started, 3))


def prune(directory: Path, keep_days: int, now: datetime.datetime | None = None) -> list[str]:
    """Delete this tool's backups older than ``keep_days`` (by the UTC time in the name)."""
    now = now or datetime.datetime.now(datetime.UTC)
    removed = []
    for entry in sorted(directory.iterdir()):
        if not _NAME.match(entry.name):
            continue
        made = datetime.datetime.strptime(entry.name[4:20], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.UTC
        )
        if now - made > datetime.timedelta(days=keep_days):
            entry.unlink()
            removed.append(entry.name)
    return removed
