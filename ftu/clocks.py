"""The statutory clocks engine, shared by every app that has legal deadlines.

A *rule* is data: what the deadline is, how long it runs, when to warn, the legal citation,
and who is told.  A *clock* (``ftu.models.Clock``) is one rule running on one object.  The
services that record the starting event start a clock; the services that record the event
that satisfies it meet it.  A per-minute tick finds clocks that are due soon or missed and
emits each event exactly once.

API
---
``Rule(code, label, citation, duration, warn_before=(...), kind_due_soon=, kind_missed=,
kind_met=, recipients=, subject=, url=, on_missed=, model=, months=0)``
    ``recipients(clock, obj, event)`` returns the people told about ``event`` ("due_soon",
    "missed", "met"); ``subject(obj)`` the safe label used in titles (a case code, a raid
    codename — never an identity); ``url(obj)`` the link; ``on_missed(clock, obj)`` an optional
    hook run in the tick's transaction (e.g. to escalate a referral).  ``model`` is the
    ``app_label.ModelName`` of the clocked objects, whose ``objects.visible_to(user)`` decides
    who sees the clock.  ``months`` adds calendar months (in IST) before ``duration``
    ("within 4 months").
``register_rule(rule)``
    Declare a rule (at import time of the app's ``clock_rules`` module, from ``ready()``).
``clock_start(obj=, rule=, started_at=, actor=None) -> Clock``
    Start (idempotent: an existing clock for the same object and rule is returned unchanged).
``clock_meet(obj=, rule=, at=, actor=None) -> Clock | None``
    Mark the clock met at ``at`` (also after it was missed: it then shows as met late) and
    emit the "met" event once.  ``None`` if the clock was never started.
``clock_not_applicable(obj=, rule=, reason=, actor=None) -> Clock``
    Stop a clock that does not apply, with a reason (required).  Starts-and-stops a clock
    that was never started, so the case page still says why.
``clocks_for(obj) -> list[Clock]``
    The clocks of one object, earliest due first.
``tick(now)``
    Registered as the "clocks" tick: emits due-soon warnings (for each ``warn_before``, only
    the nearest one if several became due between two ticks) and missed events, once each,
    under a row lock.  Running it twice for the same ``now`` changes nothing the second time.

All functions must be called inside the caller's transaction where the caller has one (the
service that records the event); they open their own atomic block otherwise.  Times are
stored in UTC and shown in IST (``TIME_ZONE``).
"""

from __future__ import annotations

import calendar
import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ftu import audit, metrics
from ftu.models import Clock
from ftu.scheduling import register_tick
from notifications.kinds import register_kind

logger = logging.getLogger(__name__)

DUE_SOON, MISSED, MET = "due_soon", "missed", "met"

register_kind("clock.due_soon", _("A statutory deadline is near"), urgent=True, group="clock")
register_kind("clock.missed", _("A statutory deadline was missed"), urgent=True, group="clock")
register_kind("clock.met", _("A statutory deadline was met"), group="clock")


def _default_subject(obj: Any) -> str:
    return str(obj)


def _default_url(obj: Any) -> str:
    return obj.get_absolute_url()


def _nobody(clock: Clock, obj: Any, event: str) -> Iterable[Any]:
    return ()


@dataclass(frozen=True)
class Rule:
    code: str
    label: Any
    citation: str
    duration: datetime.timedelta
    warn_before: tuple[datetime.timedelta, ...] = ()
    kind_due_soon: str = "clock.due_soon"
    kind_missed: str = "clock.missed"
    kind_met: str | None = "clock.met"
    recipients: Callable[[Clock, Any, str], Iterable[Any]] = _nobody
    subject: Callable[[Any], str] = _default_subject
    url: Callable[[Any], str] = _default_url
    on_missed: Callable[[Clock, Any], None] | None = None
    model: str = ""
    months: int = 0  # calendar months (in IST) added before ``duration``

    def due_for(self, started_at: datetime.datetime) -> datetime.datetime:
        """The deadline for a clock started at ``started_at``."""
        if self.months:
            local = timezone.localtime(started_at)
            month0 = local.month - 1 + self.months
            year, month = local.year + month0 // 12, month0 % 12 + 1
            day = min(local.day, calendar.monthrange(year, month)[1])
            started_at = local.replace(year=year, month=month, day=day)
        return started_at + self.duration

    @property
    def span(self) -> datetime.timedelta:
        """Roughly how long the clock runs (months counted as 28 days, the shortest)."""
        return self.duration + datetime.timedelta(days=28 * self.months)


RULES: dict[str, Rule] = {}


def register_rule(rule: Rule) -> Rule:
    if rule.span <= datetime.timedelta(0):
        raise ValueError(f"Clock rule {rule.code!r} needs a positive duration.")
    if any(w <= datetime.timedelta(0) or w >= rule.span for w in rule.warn_before):
        raise ValueError(f"Clock rule {rule.code!r}: warnings must fall inside the duration.")
    RULES[rule.code] = rule
    return rule


def get_rule(code: str) -> Rule | None:
    return RULES.get(code)


def _ct_and_id(obj: Any) -> tuple[ContentType, str]:
    return ContentType.objects.get_for_model(obj, for_concrete_model=True), str(obj.pk)


def _rule(rule: str | Rule) -> Rule:
    code = rule.code if isinstance(rule, Rule) else rule
    spec = RULES.get(code)
    if spec is None:
        raise ValueError(f"Unknown clock rule: {code!r}")
    return spec


def clock_start(
    *, obj: Any, rule: str | Rule, started_at: datetime.datetime, actor: Any = None
) -> Clock:
    spec = _rule(rule)
    if timezone.is_naive(started_at):
        raise ValueError("started_at must be timezone-aware.")
    ct, object_id = _ct_and_id(obj)
    with transaction.atomic():
        clock, created = Clock.objects.get_or_create(
            content_type=ct,
            object_id=object_id,
            rule=spec.code,
            defaults={"started_at": started_at, "due_at": spec.due_for(started_at)},
        )
        if created:
            audit.record(actor=actor, action="clock.start", obj=clock, fields=[spec.code])
    return clock


def clock_meet(
    *, obj: Any, rule: str | Rule, at: datetime.datetime, actor: Any = None
) -> Clock | None:
    spec = _rule(rule)
    ct, object_id = _ct_and_id(obj)
    with transaction.atomic():
        clock = (
            Clock.objects.select_for_update()
            .filter(content_type=ct, object_id=object_id, rule=spec.code)
            .first()
        )
        if clock is None or clock.state not in (Clock.State.RUNNING, Clock.State.MISSED):
            return clock
        clock.state = Clock.State.MET
        clock.met_at = at
        clock.met_notified = True
        clock.save(update_fields=["state", "met_at", "met_notified", "updated"])
        audit.record(actor=actor, action="clock.meet", obj=clock, fields=[spec.code])
        if spec.kind_met:
            _emit(clock, obj, spec, MET, actor=actor)
    return clock


def clock_not_applicable(*, obj: Any, rule: str | Rule, reason: str, actor: Any = None) -> Clock:
    spec = _rule(rule)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say why this deadline does not apply.")})
    ct, object_id = _ct_and_id(obj)
    now = timezone.now()
    with transaction.atomic():
        clock, _created = Clock.objects.select_for_update().get_or_create(
            content_type=ct,
            object_id=object_id,
            rule=spec.code,
            defaults={"started_at": now, "due_at": spec.due_for(now)},
        )
        if clock.state == Clock.State.MET:
            raise ValidationError(gettext("This deadline was already met."))
        clock.state = Clock.State.NOT_APPLICABLE
        clock.reason = reason
        clock.save(update_fields=["state", "reason", "updated"])
        audit.record(
            actor=actor,
            action="clock.not_applicable",
            obj=clock,
            fields=[spec.code],
            reason=reason,
        )
    return clock


def clocks_for(obj: Any) -> list[Clock]:
    ct, object_id = _ct_and_id(obj)
    return list(Clock.objects.filter(content_type=ct, object_id=object_id).order_by("due_at"))


def clocked_models() -> list[type[models.Model]]:
    labels = sorted({r.model for r in RULES.values() if r.model})
    return [apps.get_model(label) for label in labels]


def visible_clock_filter(user: Any) -> models.Q:
    """Q for the clocks whose object the person may see through its model's ``visible_to``."""
    q = models.Q(pk__in=[])
    whole: list[int] = []
    for model in clocked_models():
        visible = model.objects.visible_to(user)  # type: ignore[attr-defined]
        ct = ContentType.objects.get_for_model(model)
        if not visible.query.where and not visible.query.is_empty():
            # Everything of this model is visible (the convenor): no subquery needed.
            whole.append(ct.pk)
            continue
        ids = visible.annotate(_clock_id=Cast("pk", models.CharField(max_length=64))).values(
            "_clock_id"
        )
        q |= models.Q(content_type=ct, object_id__in=ids)
    if whole:
        q |= models.Q(content_type_id__in=whole)
    return q


def humanize_delta(delta: datetime.timedelta) -> str:
    """'2 days 3 h', '5 h 20 min', '12 min' (absolute value, rounded down to minutes)."""
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        parts = [gettext("%(n)d d") % {"n": days}]
        if hours:
            parts.append(gettext("%(n)d h") % {"n": hours})
        return " ".join(parts)
    if hours:
        parts = [gettext("%(n)d h") % {"n": hours}]
        if minutes:
            parts.append(gettext("%(n)d min") % {"n": minutes})
        return " ".join(parts)
    return gettext("%(n)d min") % {"n": minutes}


def clock_summary(clock: Clock, now: datetime.datetime | None = None) -> dict[str, Any]:
    """What a page shows for a clock: label, citation, a status word, a sentence, a badge class."""
    now = now or timezone.now()
    spec = RULES.get(clock.rule)
    label = spec.label if spec else clock.rule
    citation = spec.citation if spec else ""
    if clock.state == Clock.State.MET:
        text = gettext("met %(when)s IST") % {"when": _ist(clock.met_at or clock.due_at)}
        if clock.met_late_by:
            text += " " + gettext("(late by %(delta)s)") % {
                "delta": humanize_delta(clock.met_late_by)
            }
        badge = "ok"
    elif clock.state == Clock.State.NOT_APPLICABLE:
        text = gettext("not applicable: %(reason)s") % {"reason": clock.reason}
        badge = ""
    elif clock.state == Clock.State.MISSED or clock.due_at <= now:
        text = gettext("missed by %(delta)s (due %(due)s IST)") % {
            "delta": humanize_delta(now - clock.due_at),
            "due": _ist(clock.due_at),
        }
        badge = "urgent"
    else:
        text = gettext("%(left)s left (due %(due)s IST)") % {
            "left": humanize_delta(clock.due_at - now),
            "due": _ist(clock.due_at),
        }
        soon = spec and spec.warn_before and clock.due_at - now <= max(spec.warn_before)
        badge = "urgent" if soon else ""
    state = clock.get_state_display()
    if clock.state == Clock.State.RUNNING and clock.due_at <= now:
        state = Clock.State.MISSED.label  # the tick has not run yet: say it as it is
    return {
        "clock": clock,
        "label": label,
        "citation": citation,
        "state": state,
        "text": text,
        "badge": badge,
    }


def _ist(value: datetime.datetime) -> str:
    return date_format(timezone.localtime(value), "d/m/Y H:i")


def _emit(clock: Clock, obj: Any, spec: Rule, event: str, *, actor: Any = None, now: Any = None):
    from notifications.services import notify, translated

    subject = spec.subject(obj)
    left = clock.due_at - (now or timezone.now())
    if event == DUE_SOON:
        kind = spec.kind_due_soon
        title = translated(
            _("%(subject)s: %(rule)s due in %(left)s"),
            subject=subject,
            rule=spec.label,
            left=lambda: humanize_delta(left),
        )
    elif event == MISSED:
        kind = spec.kind_missed
        title = translated(_("%(subject)s: %(rule)s missed"), subject=subject, rule=spec.label)
    else:
        kind = spec.kind_met or "clock.met"
        title = translated(_("%(subject)s: %(rule)s met"), subject=subject, rule=spec.label)
    text = translated(
        _("Due %(due)s IST (%(citation)s)."),
        due=lambda: _ist(clock.due_at),
        citation=spec.citation,
    )
    notify(
        recipients=spec.recipients(clock, obj, event),
        kind=kind,
        title=title,
        text=text,
        url=spec.url(obj),
        actor=actor,
    )


def _process(clock_id: int, now: datetime.datetime) -> None:
    with transaction.atomic():
        clock = Clock.objects.select_for_update().filter(pk=clock_id, state="running").first()
        if clock is None:
            return
        spec = RULES.get(clock.rule)
        if spec is None:
            logger.warning("clock %s has an unknown rule", clock.pk)
            return
        obj = clock.obj
        if obj is None:
            return
        if clock.due_at <= now:
            clock.state = Clock.State.MISSED
            clock.missed_notified = True
            clock.save(update_fields=["state", "missed_notified", "updated"])
            audit.record(actor=None, action="clock.missed", obj=clock, fields=[spec.code])
            code = spec.code
            transaction.on_commit(lambda: metrics.clock_missed(code))
            _emit(clock, obj, spec, MISSED, now=now)
            if spec.on_missed:
                spec.on_missed(clock, obj)
            return
        sent = set(clock.warnings_sent or [])
        pending = [
            w
            for w in spec.warn_before
            if clock.due_at - w <= now and int(w.total_seconds()) not in sent
        ]
        if not pending:
            return
        clock.warnings_sent = sorted(sent | {int(w.total_seconds()) for w in pending})
        clock.save(update_fields=["warnings_sent", "updated"])
        _emit(clock, obj, spec, DUE_SOON, now=now)


@register_tick("clocks")
def tick(now: datetime.datetime) -> None:
    """Emit due-soon and missed events that have become due by ``now`` (idempotent)."""
    longest = max((w for r in RULES.values() for w in r.warn_before), default=datetime.timedelta(0))
    ids = list(
        Clock.objects.filter(state=Clock.State.RUNNING, due_at__lte=now + longest)
        .order_by("due_at")
        .values_list("pk", flat=True)
    )
    for clock_id in ids:
        _process(clock_id, now)
    report_clocks(now)


def report_clocks(now: datetime.datetime) -> None:
    """Set the clocks gauges per rule: running clocks due within the rule's longest warning
    (due soon), and clocks missed and not met since (overdue).  Never raises."""
    try:
        with transaction.atomic():  # a savepoint: a failure leaves the caller's transaction usable
            codes = list(RULES)
            windows = [max(RULES[c].warn_before, default=datetime.timedelta(0)) for c in codes]
            counted = (
                Clock.objects.filter(state=Clock.State.RUNNING, due_at__gt=now).aggregate(
                    **{
                        f"r{i}": models.Count(
                            "id", filter=models.Q(rule=code, due_at__lte=now + window)
                        )
                        for i, (code, window) in enumerate(zip(codes, windows, strict=True))
                    }
                )
                if codes
                else {}
            )
            due_soon = {code: counted[f"r{i}"] or 0 for i, code in enumerate(codes)}
            overdue = dict(
                Clock.objects.filter(state=Clock.State.MISSED)
                .order_by()
                .values_list("rule")
                .annotate(n=models.Count("id"))
            )
    except Exception:  # noqa: BLE001 - a metric never fails the tick
        logger.warning("clock gauges could not be counted")
        return
    for code in RULES:
        metrics.set_clocks(code, due_soon=due_soon[code], overdue=overdue.get(code, 0))
