"""Channel-layer group names.  Derived server-side from authorised ids only."""

from __future__ import annotations


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"
