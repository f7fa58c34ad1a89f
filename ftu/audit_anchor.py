"""The hourly anchor: the head of the audit chain, written to the (off-box) log stream.

A chain shows an edited or removed row, but not that its newest rows were cut off or the
whole table rewritten by someone with the owner's rights.  The head logged every hour, kept
by the log system outside the database, lets ``manage.py verify_audit --anchor SEQ:HASH``
show both (REFERENCE R32).
"""

from __future__ import annotations

import datetime
import logging

from ftu.models import AuditEvent
from ftu.scheduling import register_tick

logger = logging.getLogger("ftu.audit.anchor")


@register_tick("audit.anchor")
def log_audit_anchor(now: datetime.datetime) -> None:
    if now.minute != 0:
        return
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    if head is None:
        logger.info("audit anchor: the chain is empty")
        return
    logger.info("audit anchor %s:%s", head[0], head[1])
