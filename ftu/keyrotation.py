"""Re-encrypting stored values under the newest field key (``manage.py rotate_field_keys``).

A rotation is: put the new key first in FIELD_ENCRYPTION_KEYS (old keys stay, so every row
stays readable), run the rotation, then drop the old keys.  Tokens are rotated as they are
stored (``MultiFernet.rotate``), without turning them back into Python values, so no
encrypted value passes through a model's ``save()`` and the original timestamps are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from ftu import audit
from ftu.crypto import _PREFIX, encrypted_fields, rotate_token

DEFAULT_BATCH = 500


class RotationError(Exception):
    """A stored value is not a token any configured key can read: nothing after it is done."""


@dataclass
class RotationReport:
    # "app_label.model" -> number of values re-encrypted
    values: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.values.values())

    def summary(self) -> str:
        parts = [
            f"{label}: {self.rows[label]} rows, {n} values" for label, n in self.values.items()
        ]
        return "; ".join(parts) or "no encrypted values"


def models_with_encrypted_fields() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if encrypted_fields(m)]


def _rotate(token: str, where: str) -> str:
    if not token.startswith(_PREFIX):
        raise RotationError(f"{where} is not an encrypted token")
    try:
        return rotate_token(token)
    except Exception as exc:  # InvalidToken, or a malformed token
        raise RotationError(f"{where} cannot be decrypted with the configured keys") from exc


def rotate_model(model: type[models.Model], *, batch_size: int = DEFAULT_BATCH) -> tuple[int, int]:
    """Re-encrypt the encrypted columns of ``model``; return (rows, values) rotated.

    Each batch runs in its own transaction and locks its rows (``select_for_update``), so a
    service writing one of them meanwhile waits instead of being overwritten by its old value.
    """
    enc = encrypted_fields(model)
    if not enc:
        return 0, 0
    manager = model._base_manager
    pk_name = model._meta.pk.attname
    # Cast to plain text: the stored token, not the decrypted value.
    raw = {f"_raw_{f.attname}": Cast(f.attname, output_field=models.TextField()) for f in enc}
    rows = values = 0
    last_pk: Any = None
    while True:
        with transaction.atomic():
            qs = manager.order_by(pk_name).annotate(**raw).select_for_update()
            if last_pk is not None:
                qs = qs.filter(pk__gt=last_pk)
            batch = list(qs.values(pk_name, *raw)[:batch_size])
            if not batch:
                break
            changed = []
            for row in batch:
                obj = model(**{pk_name: row[pk_name]})
                for f in enc:
                    token = row[f"_raw_{f.attname}"]
                    if token is not None:
                        where = f"{model._meta.label_lower}.{f.name} of row {row[pk_name]}"
                        new = _rotate(token, where)
                        setattr(obj, f.attname, models.Value(new, output_field=models.TextField()))
                        values += 1
                    else:
                        # Unchanged NULL: an expression keeps bulk_update from encrypting it.
                        setattr(obj, f.attname, models.Value(None, output_field=models.TextField()))
                changed.append(obj)
            manager.bulk_update(changed, [f.name for f in enc])
            rows += len(batch)
            last_pk = batch[-1][pk_name]
    return rows, values


def _rotate_json_tokens(value: Any, where: str) -> tuple[Any, int]:
    if isinstance(value, str) and value.startswith(_PREFIX):
        return _rotate(value, where), 1
    if isinstance(value, dict):
        out, n = {}, 0
        for k, v in value.items():
            out[k], m = _rotate_json_tokens(v, where)
            n += m
        return out, n
    if isinstance(value, list):
        items, n = [], 0
        for v in value:
            item, m = _rotate_json_tokens(v, where)
            items.append(item)
            n += m
        return items, n
    return value, 0


def rotate_mfa_secrets(*, batch_size: int = DEFAULT_BATCH) -> tuple[int, int]:
    """allauth keeps TOTP secrets and recovery seeds in a JSON column, encrypted by our MFA
    adapter (``agencies.adapters.MFAAdapter``) with the same keys: rotate those tokens too."""
    from allauth.mfa.models import Authenticator

    rows = values = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                Authenticator.objects.filter(pk__gt=last_pk)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", "data")[:batch_size]
            )
            if not batch:
                break
            for pk, data in batch:
                new, n = _rotate_json_tokens(data, f"mfa.authenticator of row {pk}")
                if n:
                    Authenticator.objects.filter(pk=pk).update(data=new)
                    rows += 1
                    values += n
            last_pk = batch[-1][0]
    return rows, values


def rotate_all(
    *,
    batch_size: int = DEFAULT_BATCH,
    model_list: Iterable[type[models.Model]] | None = None,
    include_mfa: bool = True,
    actor: Any = None,
) -> RotationReport:
    """Rotate every encrypted column (and the MFA secrets), then write one audit event."""
    report = RotationReport()
    targets = list(model_list) if model_list is not None else models_with_encrypted_fields()
    for model in targets:
        rows, values = rotate_model(model, batch_size=batch_size)
        report.rows[model._meta.label_lower] = rows
        report.values[model._meta.label_lower] = values
    if include_mfa:
        rows, values = rotate_mfa_secrets(batch_size=batch_size)
        report.rows["mfa.authenticator"] = rows
        report.values["mfa.authenticator"] = values
    audit.record(
        actor=actor,
        action="crypto.rotate_keys",
        object_type="ftu.fieldkeys",
        fields=[f"{m._meta.label_lower}.{f.name}" for m in targets for f in encrypted_fields(m)]
        + (["mfa.authenticator.data"] if include_mfa else []),
        reason=report.summary(),
    )
    return report
