"""Encrypted model fields and keyed hashes (blind indexes) for protected identity data.

Values are encrypted with ``cryptography``'s MultiFernet under FIELD_ENCRYPTION_KEYS (newest
first), keys that live apart from SECRET_KEY and from the database.  Old keys still decrypt,
so a rotation is: put the new key first, run ``manage.py rotate_field_keys``, then drop the
old key.  Encrypted columns cannot be searched: every lookup but ``isnull`` is refused; an
exact-match search uses a blind-index column filled with :func:`blind_index`.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import unicodedata
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import lookups

_PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    return MultiFernet([Fernet(k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(value: str) -> str:
    return _PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt_str(token: str) -> str:
    if not token.startswith(_PREFIX):
        raise ValueError("Value is not an encrypted token.")
    try:
        return fernet().decrypt(token[len(_PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("Encrypted value cannot be decrypted with the configured keys.") from exc


def rotate_token(token: str) -> str:
    """Re-encrypt a stored token under the newest key (MultiFernet.rotate)."""
    return _PREFIX + fernet().rotate(token[len(_PREFIX) :].encode()).decode()


def normalise(value: str) -> str:
    """Case-, space- and Unicode-form-insensitive text, for keyed hashes."""
    value = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(value.split())


def blind_index(*parts: str | None, purpose: str = "default") -> str:
    """HMAC-SHA256 of the normalised parts, for exact-match search of protected values."""
    key = settings.BLIND_INDEX_KEY.encode()
    message = "\x1f".join([purpose, *(normalise(p or "") for p in parts)]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class _EncryptedMixin:
    """Stores ``fernet:<token>`` text; Python sees the decrypted value."""

    encrypted = True

    def get_internal_type(self) -> str:
        return "TextField"

    def to_python_value(self, text: str) -> Any:
        return text

    def from_python_value(self, value: Any) -> str:
        return str(value)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.to_python_value(decrypt_str(value))

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return encrypt_str(self.from_python_value(value))


class EncryptedTextField(_EncryptedMixin, models.TextField):  # type: ignore[misc]
    description = "Text encrypted at rest"

    def to_python(self, value: Any) -> Any:
        return value


class EncryptedCharField(_EncryptedMixin, models.CharField):  # type: ignore[misc]
    """A short encrypted value; ``max_length`` bounds the plaintext (checked by validation)."""

    description = "Short text encrypted at rest"

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection: Any) -> str:
        return models.TextField().db_type(connection)  # type: ignore[return-value]


class EncryptedJSONField(_EncryptedMixin, models.TextField):  # type: ignore[misc]
    description = "JSON encrypted at rest"

    def to_python_value(self, text: str) -> Any:
        return json.loads(text)

    def from_python_value(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def value_to_string(self, obj: Any) -> str:
        return self.from_python_value(self.value_from_object(obj))


class EncryptedDateField(_EncryptedMixin, models.TextField):  # type: ignore[misc]
    description = "Date encrypted at rest"

    def to_python_value(self, text: str) -> datetime.date | None:
        return datetime.date.fromisoformat(text) if text else None

    def from_python_value(self, value: Any) -> str:
        if isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        return value.isoformat()

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value:
            return datetime.date.fromisoformat(value)
        return value

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return forms.DateField(required=not self.blank, **kwargs)


ENCRYPTED_FIELD_CLASSES = (
    EncryptedTextField,
    EncryptedCharField,
    EncryptedJSONField,
    EncryptedDateField,
)


class _RefusedLookup(lookups.Lookup):
    def _refuse(self) -> TypeError:
        return TypeError(
            f"Lookup '{self.lookup_name}' is refused on an encrypted field; "
            "search a blind-index column instead."
        )

    def get_prep_lookup(self) -> Any:
        # Refuse when the filter is built, before the value is encrypted or even parsed.
        raise self._refuse()

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        raise self._refuse()


def _refuse_lookups() -> None:
    names = [
        "exact",
        "iexact",
        "contains",
        "icontains",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
        "in",
        "gt",
        "gte",
        "lt",
        "lte",
        "range",
        "regex",
        "iregex",
    ]
    for cls in ENCRYPTED_FIELD_CLASSES:
        for name in names:
            refused = type(f"Refused_{name}", (_RefusedLookup,), {"lookup_name": name})
            cls.register_lookup(refused)


_refuse_lookups()


def encrypted_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]
