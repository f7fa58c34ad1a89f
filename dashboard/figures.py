"""The dashboard's figures for one viewer class, cached for a short time.

Computing every figure reads every case, referral and clock of the period (tens of
thousands of rows at 10,000 cases), so the result is kept in Django's cache (Redis in
production, the process's memory when embedded) for ``TTL`` seconds, under a key made of
the period, the language, whether the numbers are full or suppressed, and a version that any
write to the data behind the figures replaces (``invalidate``, on the audit event every
service write leaves; connected in ``apps.py``).  Anything written without an audit event is
caught by the TTL: figures are never older than ``TTL``, and the page says when they were
computed.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from dashboard import selectors
from dashboard.suppression import ShownTable, shown_tables

logger = logging.getLogger(__name__)

TTL = 5 * 60
VERSION_KEY = "dashboard:version"
# Every write goes through a service, and every service write leaves an audit event, including
# those that use queryset ``update()`` (a raid moving, a meeting cancelled, action items
# published): the figures are renewed on the audit events of the data behind them.
WATCHED_ACTIONS = frozenset(
    {
        "case",
        "referral",
        "lead",
        "clock",
        "raid",
        "prosecution",
        "meeting",
        "minutes",
        "action",
        "organisation",
    }
)
READ_ACTIONS = frozenset({"case.reveal", "raid.target_view"})


def _cache(operation: str, *args: Any) -> Any:
    """``cache.<operation>(*args)``, or None when the cache (Redis) is down: the figures are
    then computed for each request, and no write anywhere fails because of the dashboard."""
    try:
        return getattr(cache, operation)(*args)
    except Exception:  # noqa: BLE001 - any cache failure: compute without it
        logger.warning("dashboard cache unavailable (%s); computing without it", operation)
        return None


def _key(period: selectors.Period, *, full: bool) -> str | None:
    version = _cache("get", VERSION_KEY)
    if version is None:
        if _cache("add", VERSION_KEY, uuid.uuid4().hex, None) is None:
            return None  # no cache: nothing to key
        version = _cache("get", VERSION_KEY)
        if version is None:
            return None
    return ":".join(
        (
            "dashboard",
            version,
            get_language() or "",
            "full" if full else "suppressed",
            f"{period.first:%Y-%m}",
            f"{period.last:%Y-%m}",
        )
    )


def figures(
    period: selectors.Period, *, full: bool, key: str | None = None
) -> tuple[list[ShownTable], datetime.datetime]:
    """The shown tables and when they were computed (aware, UTC)."""
    key = key or _key(period, full=full)
    cached = _cache("get", key) if key else None
    if cached is not None:
        return cached
    computed_at = timezone.now()
    result = (shown_tables(selectors.dashboard_tables(period), full=full), computed_at)
    if key:
        _cache("set", key, result, TTL)
    return result


def rendered(period: selectors.Period, *, full: bool) -> str:
    """The figures' part of the page (tables, charts, "as of"), rendered once per version.

    Rendering a dozen tables is itself tens of milliseconds; the fragment holds nothing
    specific to the viewer beyond what the key says (language, full or suppressed), and is
    kept no longer than the figures it shows.
    """
    key = _key(period, full=full)
    html = _cache("get", f"{key}:html") if key else None
    if html is None:
        tables, computed_at = figures(period, full=full, key=key)
        html = render_to_string(
            "dashboard/_figures.html",
            {
                "tables": tables,
                "full": full,
                "computed_at": timezone.localtime(computed_at, selectors.IST),
                "ttl_minutes": TTL // 60,
            },
        )
        left = TTL - (timezone.now() - computed_at).total_seconds()
        if key and left >= 1:
            _cache("set", f"{key}:html", str(html), int(left))
    return mark_safe(html)  # noqa: S308 - our own template's output, escaped when rendered


def invalidate() -> None:
    """A new version: every cached figure is computed again on its next request."""
    _cache("set", VERSION_KEY, uuid.uuid4().hex, None)


def on_write(sender: Any, **kwargs: Any) -> None:
    """``post_save`` receiver of the audit log: a write to the data behind the figures.

    Invalidated at once (the writer's next page shows it) and again after the commit (a
    request that computed the figures from the data before the commit cannot keep them).
    A cache that is down fails neither (``_cache``), so it never fails the write.
    """
    if kwargs.get("raw"):
        return
    action = getattr(kwargs.get("instance"), "action", "")
    if action in READ_ACTIONS or action.split(".", 1)[0] not in WATCHED_ACTIONS:
        return
    invalidate()
    transaction.on_commit(invalidate, robust=True)
