"""The registry of notification kinds.  Each app registers its own in ``AppConfig.ready``.

A kind has a label (shown in preferences and filters), a default urgency, and whether the
person may switch its e-mail off.  Titles and texts are written by the emitting service and
must be safe to show anywhere: a case code or a codename, never an identity or a place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any
    urgent: bool = False
    group: str = ""  # the fragment family a page refreshes on (referral, raid, meeting, action)
    # False for kinds that must never leave the hub by e-mail or SMS (e.g. outbox failures,
    # which would otherwise loop through the outbox that failed).
    external: bool = True


KINDS: dict[str, Kind] = {}


def register_kind(
    code: str, label: Any, *, urgent: bool = False, group: str = "", external: bool = True
) -> Kind:
    kind = Kind(
        code=code,
        label=label,
        urgent=urgent,
        group=group or code.split(".", 1)[0],
        external=external,
    )
    KINDS[code] = kind
    return kind


def get_kind(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise ValueError(f"Unknown notification kind: {code!r}") from None


def kind_choices() -> list[tuple[str, Any]]:
    return [(k.code, k.label) for k in sorted(KINDS.values(), key=lambda k: k.code)]
