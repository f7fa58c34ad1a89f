"""Encrypted fields, blind indexes and key rotation (``manage.py rotate_field_keys``)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test.utils import isolate_apps

from ftu import crypto, keyrotation
from ftu.crypto import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
    blind_index,
)
from ftu.models import AuditEvent

# SQLite cannot change its schema inside a transaction (the throwaway table): there the tests
# run transactional, on PostgreSQL inside the usual rolled-back transaction.
pytestmark = pytest.mark.django_db(transaction=connection.vendor == "sqlite")

CANARY_NAME = "Canary Kumari 7Q4X"
CANARY_NOTE = "canary-note-ZZ81 near the old mill"
CANARY_DATE = datetime.date(2013, 4, 27)


@pytest.fixture
def secret_model() -> Iterator[type[models.Model]]:
    """A throwaway model with every encrypted field, in its own table for this test only.

    It lives in an isolated app registry, so no migration, flush or other test sees it.
    """
    with isolate_apps("ftu"):

        class Secret(models.Model):
            note = EncryptedTextField(null=True, blank=True)
            name = EncryptedCharField(max_length=60, blank=True, default="")
            details = EncryptedJSONField(null=True, blank=True)
            born = EncryptedDateField(null=True, blank=True)
            name_index = models.CharField(max_length=64, blank=True, default="")

            class Meta:
                app_label = "ftu"
                db_table = "ftu_test_secret"

            def __str__(self) -> str:
                return f"secret #{self.pk}"

    with connection.schema_editor() as editor:
        editor.create_model(Secret)
    try:
        yield Secret
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Secret)


def _make(model: type[models.Model], n: int = 1) -> list[models.Model]:
    return [
        model.objects.create(
            note=f"{CANARY_NOTE} {i}",
            name=CANARY_NAME,
            details={"guardian": CANARY_NAME, "siblings": [1, 2], "i": i},
            born=CANARY_DATE,
            name_index=blind_index(CANARY_NAME, purpose="child.name"),
        )
        for i in range(n)
    ]


def _raw_rows(table: str = "ftu_test_secret") -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT note, name, details, born FROM {table}")  # noqa: S608
        return cur.fetchall()


def test_values_round_trip(secret_model: type[models.Model]) -> None:
    (row,) = _make(secret_model)
    fresh = secret_model.objects.get(pk=row.pk)
    assert fresh.note == f"{CANARY_NOTE} 0"
    assert fresh.name == CANARY_NAME
    assert fresh.details == {"guardian": CANARY_NAME, "siblings": [1, 2], "i": 0}
    assert fresh.born == CANARY_DATE
    # values()/values_list() decrypt as well.
    assert secret_model.objects.values_list("born", flat=True).get() == CANARY_DATE


def test_a_raw_sql_read_shows_no_plaintext(secret_model: type[models.Model]) -> None:
    _make(secret_model, 2)
    rows = _raw_rows()
    assert len(rows) == 2
    for row in rows:
        for value in row:
            assert value.startswith("fernet:")
            for canary in (CANARY_NAME, "Canary", "7Q4X", "ZZ81", "mill", "2013", "guardian"):
                assert canary not in value
    # Same plaintext, different ciphertext: equal values cannot be spotted in the table.
    assert rows[0][1] != rows[1][1]


def test_none_stays_null(secret_model: type[models.Model]) -> None:
    row = secret_model.objects.create()
    assert _raw_rows()[0][0] is None
    assert secret_model.objects.get(pk=row.pk).note is None
    assert secret_model.objects.filter(note__isnull=True).count() == 1
    assert secret_model.objects.filter(note__isnull=False).count() == 0


LOOKUPS = ["", "__exact", "__iexact", "__contains", "__icontains", "__startswith",
           "__istartswith", "__endswith", "__iendswith", "__in", "__gt", "__gte", "__lt",
           "__lte", "__range", "__regex", "__iregex"]  # fmt: skip


def test_lookups_other_than_isnull_are_refused(secret_model: type[models.Model]) -> None:
    _make(secret_model)
    accepted = []
    for field in ("note", "name", "details", "born"):
        one: Any = CANARY_DATE if field == "born" else CANARY_NAME
        for lookup in LOOKUPS:
            value: Any = [one, one] if lookup in ("__in", "__range") else one
            for method in (secret_model.objects.filter, secret_model.objects.exclude):
                try:
                    list(method(**{f"{field}{lookup}": value}))
                except TypeError as exc:
                    assert "refused on an encrypted field" in str(exc)
                else:
                    accepted.append(f"{method.__name__}({field}{lookup})")
    assert accepted == []


def test_the_blind_index_finds_an_exact_match(secret_model: type[models.Model]) -> None:
    (row,) = _make(secret_model)
    typed = "  canary   KUMARI 7q4x "
    found = secret_model.objects.get(name_index=blind_index(typed, purpose="child.name"))
    assert found.pk == row.pk


def test_blind_index_is_stable_normalised_and_purpose_bound(settings: Any) -> None:
    settings.BLIND_INDEX_KEY = "k1-" + "x" * 40
    a = blind_index("Asha Kumari", "2013-04-27", purpose="child")
    assert a == blind_index("  ASHA   kumari ", "2013-04-27", purpose="child")
    assert a == blind_index("Ａｓｈａ Kumari", "2013-04-27", purpose="child")  # NFKC
    assert len(a) == 64 and "asha" not in a.lower()
    assert a != blind_index("Asha Kumari", "2013-04-28", purpose="child")
    assert a != blind_index("Asha Kumari", "2013-04-27", purpose="guardian")
    # The separator keeps part boundaries: ("ab", "c") is not ("a", "bc").
    assert blind_index("ab", "c") != blind_index("a", "bc")


def test_blind_index_depends_on_the_key(settings: Any) -> None:
    settings.BLIND_INDEX_KEY = "k1-" + "x" * 40
    first = blind_index("Asha Kumari", purpose="child")
    settings.BLIND_INDEX_KEY = "k2-" + "y" * 40
    assert blind_index("Asha Kumari", purpose="child") != first
    settings.BLIND_INDEX_KEY = "k1-" + "x" * 40
    assert blind_index("Asha Kumari", purpose="child") == first


def test_field_helpers_without_a_database() -> None:
    field = EncryptedJSONField()
    token = field.get_prep_value({"guardian": CANARY_NAME})
    assert token.startswith("fernet:") and "Canary" not in token and "guardian" not in token
    assert field.from_db_value(token, None, connection) == {"guardian": CANARY_NAME}
    assert field.get_prep_value(None) is None
    date_field = EncryptedDateField()
    assert date_field.from_db_value(date_field.get_prep_value("2013-04-27"), None, None) == (
        CANARY_DATE
    )
    with pytest.raises(ValueError, match="not an encrypted token"):
        field.from_db_value('{"a": "b"}', None, connection)


def test_a_value_encrypted_under_an_unknown_key_is_refused(settings: Any) -> None:
    token = crypto.encrypt_str("x")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt_str(token)


# --- rotation -------------------------------------------------------------------------------


def _mfa_for(user: Any) -> tuple[str, str]:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    totp = TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    codes = RecoveryCodes.activate(user).generate_codes()
    return totp.instance.data["secret"], codes[0]


def _mfa_tokens() -> list[str]:
    from allauth.mfa.models import Authenticator

    tokens = []
    for data in Authenticator.objects.values_list("data", flat=True):
        tokens += [v for v in data.values() if isinstance(v, str) and v.startswith("fernet:")]
    return tokens


def _decrypts_with(key: str, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.removeprefix("fernet:").encode())
    except Exception:  # noqa: BLE001
        return False
    return True


def test_rotation_moves_every_value_to_the_new_key(
    secret_model: type[models.Model], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agencies.models import User

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    rows = _make(secret_model, 5)
    blank = secret_model.objects.create()  # NULLs stay NULL (its name is "", encrypted)
    user = User.objects.create_user(email="mfa@example.org", password=None, full_name="M F A")
    totp_token, recovery_code = _mfa_for(user)

    # The new key first, the old one kept: everything stays readable before the rotation.
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert [r.name for r in secret_model.objects.exclude(pk=blank.pk)] == [CANARY_NAME] * 5
    assert all(not _decrypts_with(new, t) for row in _raw_rows() for t in row if t)

    monkeypatch.setattr(keyrotation, "models_with_encrypted_fields", lambda: [secret_model])
    out = StringIO()
    call_command("rotate_field_keys", "--batch-size", "2", stdout=out)
    assert "ftu.secret: 6 rows, 21 values re-encrypted" in out.getvalue()
    assert "mfa.authenticator: 2 rows, 2 values re-encrypted" in out.getvalue()

    # Only the new key now: every row and every MFA secret still decrypts.
    settings.FIELD_ENCRYPTION_KEYS = [new]
    raw = [t for row in _raw_rows() for t in row if t is not None]
    assert len(raw) == 21 and all(_decrypts_with(new, t) for t in raw)
    for row in rows:
        fresh = secret_model.objects.get(pk=row.pk)
        assert (fresh.name, fresh.born, fresh.details["guardian"]) == (
            CANARY_NAME,
            CANARY_DATE,
            CANARY_NAME,
        )
    assert secret_model.objects.get(pk=blank.pk).note is None
    assert all(_decrypts_with(new, t) for t in _mfa_tokens())
    from agencies.adapters import MFAAdapter

    assert (
        MFAAdapter().decrypt(
            __import__("allauth.mfa.models")
            .mfa.models.Authenticator.objects.get(type="totp")
            .data["secret"]
        )
        == "JBSWY3DPEHPK3PXP"
    )
    assert totp_token != _mfa_tokens()[0] or totp_token != _mfa_tokens()[1]
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes(Authenticator.objects.get(type="recovery_codes")).generate_codes()
    assert codes[0] == recovery_code

    # One audit event, with the counts and the column names (never values).
    event = AuditEvent.objects.get(action="crypto.rotate_keys")
    assert "ftu.secret: 6 rows, 21 values" in event.reason
    assert "ftu.secret.name" in event.fields and "mfa.authenticator.data" in event.fields
    assert CANARY_NAME not in event.reason


def test_rotation_warns_when_the_blind_index_key_is_a_field_key(settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    settings.BLIND_INDEX_KEY = old  # the default: the last field key
    err = StringIO()
    call_command("rotate_field_keys", stdout=StringIO(), stderr=err)
    assert "Set BLIND_INDEX_KEY to that key's value" in err.getvalue()
    settings.BLIND_INDEX_KEY = "a-key-of-its-own-" + "z" * 30
    err = StringIO()
    call_command("rotate_field_keys", stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_without_rotation_dropping_the_old_key_loses_the_rows(
    secret_model: type[models.Model], settings: Any
) -> None:
    # The counterpart of the test above: the rotation is what makes the old key removable.
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    _make(secret_model)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        list(secret_model.objects.all())


def test_rotation_stops_at_a_value_no_key_can_read(
    secret_model: type[models.Model], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (row,) = _make(secret_model)
    foreign = "fernet:" + Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    with connection.cursor() as cur:
        cur.execute("UPDATE ftu_test_secret SET note = %s WHERE id = %s", [foreign, row.pk])
    monkeypatch.setattr(keyrotation, "models_with_encrypted_fields", lambda: [secret_model])
    with pytest.raises(CommandError, match=rf"ftu.secret.note of row {row.pk} cannot be decrypted"):
        call_command("rotate_field_keys", stdout=StringIO())
    assert not AuditEvent.objects.filter(action="crypto.rotate_keys").exists()


def test_discovery_finds_every_encrypted_column() -> None:
    from django.apps import apps

    found = keyrotation.models_with_encrypted_fields()
    for model in apps.get_models():
        has = any(isinstance(f, crypto.ENCRYPTED_FIELD_CLASSES) for f in model._meta.fields)
        assert (model in found) == has, model
