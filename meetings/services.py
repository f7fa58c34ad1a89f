"""Every write about meetings, minutes and action items.

Each service checks the permission (``PermissionDenied`` → 403), validates
(``ValidationError`` → shown on the form), changes rows in one transaction, writes the audit
entry and ends with its ``notify_*`` helper (rows stored in the same transaction, pushed after
commit).  Callers fetch the object through ``visible_to`` first: a service never widens
visibility.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Membership, User
from ftu import audit
from ftu.policy import Cap
from meetings import permissions
from meetings.models import (
    DUE_SOON_DAYS,
    ActionItem,
    ActionItemUpdate,
    ActionItemWarning,
    AgendaItem,
    AtrEntry,
    Attendance,
    Meeting,
    Minutes,
    MinutesComment,
    MinutesItem,
    MinutesItemRevision,
)
from notifications.services import notify

MEETING_FIELDS = ("title", "kind", "start", "end", "venue", "online_link", "chair")
# A change to one of these re-sends the invitation (calendar clients update the event).
CALENDAR_FIELDS = ("title", "start", "end", "venue", "online_link")


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- recipients and notifications --------------------------------------------------------


def participants(meeting: Meeting) -> list[User]:
    """Invited people and the active members of invited organisations."""
    people = {u.pk: u for u in meeting.invited_people.filter(is_active=True)}
    members = (
        Membership.objects.active()
        .filter(organisation__in=meeting.invited_organisations.all())
        .select_related("user")
    )
    for m in members:
        people.setdefault(m.user_id, m.user)
    return list(people.values())


def convenors() -> list[User]:
    return [u for u in _people_with(Cap.MEETING_SCHEDULE)]


def reviewers() -> list[User]:
    return [u for u in _people_with(Cap.MINUTES_APPROVE)]


def _people_with(cap: Cap) -> Iterable[User]:
    from ftu.policy import ANY, POLICY

    pairs = POLICY[cap]
    seen: set[int] = set()
    for m in Membership.objects.active().select_related("user", "organisation"):
        if m.user_id in seen:
            continue
        if any(
            (k == ANY or k == m.organisation.kind) and (r == ANY or r == m.role) for k, r in pairs
        ):
            seen.add(m.user_id)
            yield m.user


def _notify(
    recipients: Iterable[User],
    *,
    kind: str,
    title: Callable[[], str],
    url: str,
    actor: Any,
    urgency: str | None = None,
) -> None:
    """Notify each person in their own language (``notify`` builds the title in each)."""
    notify(
        recipients=list(recipients), kind=kind, title=title, url=url, actor=actor, urgency=urgency
    )


def _send_invitations(meeting: Meeting, people: list[User], *, updated: bool) -> None:
    from meetings.tasks import send_meeting_invitations

    ids = [p.pk for p in people]
    if ids:
        transaction.on_commit(
            lambda: send_meeting_invitations.delay(meeting.pk, ids, updated=updated)
        )


# --- meetings ----------------------------------------------------------------------------


def _validate_meeting(meeting: Meeting) -> None:
    errors: dict[str, Any] = {}
    if meeting.start and meeting.end and meeting.end <= meeting.start:
        errors["end"] = _("The meeting must end after it starts.")
    if not meeting.venue and not meeting.online_link:
        errors["venue"] = _("Give a venue or an online link.")
    if errors:
        raise ValidationError(errors)
    meeting.full_clean(exclude=["convenor"])


@transaction.atomic
def meeting_schedule(*, actor: User, data: dict[str, Any]) -> Meeting:
    _require(permissions.may_manage_meetings(actor))
    meeting = Meeting(convenor=actor, **{f: data.get(f) or "" for f in ("venue", "online_link")})
    for field in ("title", "kind", "start", "end", "chair"):
        setattr(meeting, field, data.get(field))
    _validate_meeting(meeting)
    meeting.save()
    meeting.invited_organisations.set(data.get("invited_organisations") or [])
    meeting.invited_people.set(data.get("invited_people") or [])
    audit.record(actor=actor, action="meeting.schedule", obj=meeting, fields=MEETING_FIELDS)
    people = participants(meeting)
    _notify(
        people,
        kind="meeting.invited",
        title=lambda: _("You are invited: %(title)s") % {"title": meeting.title},
        url=meeting.get_absolute_url(),
        actor=actor,
    )
    _send_invitations(meeting, [p for p in people if p.pk != actor.pk], updated=False)
    return meeting


@transaction.atomic
def meeting_update(*, actor: User, meeting: Meeting, data: dict[str, Any]) -> Meeting:
    _require(permissions.may_manage_meetings(actor))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not meeting.is_scheduled:
        raise ValidationError(_("Only a scheduled meeting can be changed."))
    before = {f: getattr(meeting, f) for f in MEETING_FIELDS}
    before_people = set(participants(meeting))
    for field in MEETING_FIELDS:
        if field in data:
            setattr(meeting, field, data[field] if data[field] is not None else "")
    if meeting.chair == "":
        meeting.chair = None
    _validate_meeting(meeting)
    changed = [f for f in MEETING_FIELDS if getattr(meeting, f) != before[f]]
    calendar_changed = any(f in CALENDAR_FIELDS for f in changed)
    if calendar_changed:
        meeting.sequence += 1
    meeting.save()
    if "invited_organisations" in data:
        meeting.invited_organisations.set(data["invited_organisations"])
        changed.append("invited_organisations")
    if "invited_people" in data:
        meeting.invited_people.set(data["invited_people"])
        changed.append("invited_people")
    audit.record(actor=actor, action="meeting.update", obj=meeting, fields=changed)
    now_people = participants(meeting)
    newcomers = [p for p in now_people if p not in before_people]
    if newcomers:
        _notify(
            newcomers,
            kind="meeting.invited",
            title=lambda: _("You are invited: %(title)s") % {"title": meeting.title},
            url=meeting.get_absolute_url(),
            actor=actor,
        )
        _send_invitations(meeting, [p for p in newcomers if p.pk != actor.pk], updated=False)
    if calendar_changed:
        stayers = [p for p in now_people if p in before_people]
        _notify(
            stayers,
            kind="meeting.changed",
            title=lambda: _("Meeting changed: %(title)s") % {"title": meeting.title},
            url=meeting.get_absolute_url(),
            actor=actor,
        )
        _send_invitations(meeting, [p for p in stayers if p.pk != actor.pk], updated=True)
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: User, meeting: Meeting, reason: str) -> Meeting:
    _require(permissions.may_manage_meetings(actor))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the meeting is cancelled.")})
    updated = Meeting.objects.filter(pk=meeting.pk, state=Meeting.State.SCHEDULED).update(
        state=Meeting.State.CANCELLED,
        cancel_reason=reason[:300],
        sequence=F("sequence") + 1,
        updated=timezone.now(),
    )
    if updated != 1:
        raise ValidationError(_("Only a scheduled meeting can be cancelled."))
    meeting.refresh_from_db()
    audit.record(actor=actor, action="meeting.cancel", obj=meeting, fields=["state"], reason=reason)
    _notify(
        participants(meeting),
        kind="meeting.cancelled",
        title=lambda: _("Meeting cancelled: %(title)s") % {"title": meeting.title},
        url=meeting.get_absolute_url(),
        actor=actor,
    )
    return meeting


@transaction.atomic
def meeting_mark_held(
    *, actor: User, meeting: Meeting, now: datetime.datetime | None = None
) -> Meeting:
    """Scheduled → held, once it has started.  Freezes the Action Taken Report as it stood."""
    from meetings.selectors import atr_items

    _require(permissions.may_manage_meetings(actor))
    now = now or timezone.now()
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not meeting.is_scheduled:
        raise ValidationError(_("Only a scheduled meeting can be marked as held."))
    if meeting.start > now:
        raise ValidationError(_("A meeting can be marked as held only once it has started."))
    meeting.state = Meeting.State.HELD
    meeting.held_at = now
    meeting.save(update_fields=["state", "held_at", "updated"])
    AtrEntry.objects.bulk_create(
        AtrEntry(
            meeting=meeting,
            action_item=item,
            state=item.state,
            latest_update=item.latest_update_text or "",
            latest_update_date=item.latest_update_date,
        )
        for item in atr_items(meeting)
    )
    audit.record(actor=actor, action="meeting.held", obj=meeting, fields=["state"])
    return meeting


@transaction.atomic
def meeting_publish_summary(*, actor: User, meeting: Meeting, summary: str) -> Meeting:
    """The only thing media members ever see of a meeting.  An empty text withdraws it."""
    _require(permissions.may_manage_meetings(actor))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting.public_summary = (summary or "").strip()
    meeting.public_summary_published = timezone.now() if meeting.public_summary else None
    meeting.save(update_fields=["public_summary", "public_summary_published", "updated"])
    audit.record(
        actor=actor, action="meeting.public_summary", obj=meeting, fields=["public_summary"]
    )
    return meeting


# --- agenda ------------------------------------------------------------------------------


def _editable_agenda(meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not meeting.is_scheduled:
        raise ValidationError(_("The agenda can be changed only until the meeting is held."))
    return meeting


AGENDA_FIELDS = (
    "title",
    "description",
    "presenter_organisation",
    "minutes_allotted",
    "is_confidential",
)


def _apply_agenda(item: AgendaItem, data: dict[str, Any], actor: User) -> list[str]:
    changed = []
    for field in AGENDA_FIELDS:
        if field in data and getattr(item, field) != data[field]:
            setattr(item, field, data[field])
            changed.append(field)
    item.full_clean()
    item.save()
    if "named_people" in data:
        named = set(data["named_people"] or [])
        if item.is_confidential:
            # Whoever writes a confidential item stays able to read it.
            named.add(actor)
        item.named_people.set(named)
        changed.append("named_people")
    if item.is_confidential and not item.named_people.exists():
        raise ValidationError({"named_people": _("Name who may see a confidential item.")})
    return changed


@transaction.atomic
def agenda_item_add(*, actor: User, meeting: Meeting, data: dict[str, Any]) -> AgendaItem:
    _require(permissions.may_manage_meetings(actor))
    meeting = _editable_agenda(meeting)
    last = meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0
    item = AgendaItem(meeting=meeting, position=last + 1)
    changed = _apply_agenda(item, {"named_people": [], **data}, actor)
    audit.record(actor=actor, action="agenda.add", obj=item, fields=changed)
    return item


@transaction.atomic
def agenda_item_update(*, actor: User, item: AgendaItem, data: dict[str, Any]) -> AgendaItem:
    _require(permissions.may_manage_meetings(actor))
    _editable_agenda(item.meeting)
    item = AgendaItem.objects.get(pk=item.pk)
    changed = _apply_agenda(item, data, actor)
    audit.record(actor=actor, action="agenda.update", obj=item, fields=changed)
    return item


@transaction.atomic
def agenda_item_move(*, actor: User, item: AgendaItem, direction: str) -> AgendaItem:
    """Swap with the neighbour above ("up") or below ("down")."""
    _require(permissions.may_manage_meetings(actor))
    meeting = _editable_agenda(item.meeting)
    item = AgendaItem.objects.get(pk=item.pk)
    siblings = meeting.agenda_items.order_by("position")
    if direction == "up":
        other = siblings.filter(position__lt=item.position).order_by("-position").first()
    elif direction == "down":
        other = siblings.filter(position__gt=item.position).first()
    else:
        raise ValidationError(_("Move up or down."))
    if other is None:
        return item
    mine, theirs = item.position, other.position
    # Through a free slot: the unique (meeting, position) constraint holds at every step.
    AgendaItem.objects.filter(pk=item.pk).update(position=0)
    AgendaItem.objects.filter(pk=other.pk).update(position=mine)
    AgendaItem.objects.filter(pk=item.pk).update(position=theirs)
    item.position = theirs
    audit.record(actor=actor, action="agenda.reorder", obj=item, fields=["position"])
    return item


@transaction.atomic
def agenda_item_remove(*, actor: User, item: AgendaItem) -> None:
    _require(permissions.may_manage_meetings(actor))
    _editable_agenda(item.meeting)
    audit.record(actor=actor, action="agenda.remove", obj=item)
    item.delete()


# --- attendance --------------------------------------------------------------------------


@dataclass
class AttendanceRow:
    status: str
    delegate_name: str = ""
    person: User | None = None
    organisation: Any = None


@transaction.atomic
def attendance_record(*, actor: User, meeting: Meeting, rows: list[AttendanceRow]) -> None:
    """Record (or correct) attendance of invited people and organisations, once it started."""
    _require(permissions.may_manage_meetings(actor))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.state == Meeting.State.CANCELLED or meeting.start > timezone.now():
        raise ValidationError(_("Attendance is recorded once the meeting has started."))
    invited_people = set(meeting.invited_people.values_list("pk", flat=True))
    invited_orgs = set(meeting.invited_organisations.values_list("pk", flat=True))
    for row in rows:
        if row.status not in Attendance.Status.values:
            raise ValidationError(_("Choose present, absent or apologies."))
        if row.person is not None:
            if row.person.pk not in invited_people:
                raise ValidationError(_("Only invited people have attendance."))
            key = {"meeting": meeting, "person": row.person}
        elif row.organisation is not None:
            if row.organisation.pk not in invited_orgs:
                raise ValidationError(_("Only invited organisations have attendance."))
            key = {"meeting": meeting, "organisation": row.organisation}
        else:
            raise ValidationError(_("Attendance is of a person or an organisation."))
        Attendance.objects.update_or_create(
            **key, defaults={"status": row.status, "delegate_name": row.delegate_name[:150]}
        )
    audit.record(actor=actor, action="meeting.attendance", obj=meeting, fields=["attendance"])


# --- minutes -----------------------------------------------------------------------------


def _lock_minutes(minutes: Minutes) -> Minutes:
    return Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)


def _minutes_url(minutes: Minutes) -> str:
    return minutes.get_absolute_url()


@transaction.atomic
def minutes_start(*, actor: User, meeting: Meeting) -> Minutes:
    """Draft version 1: one minutes item per agenda item (confidential ones included)."""
    _require(permissions.may_manage_meetings(actor))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.state != Meeting.State.HELD:
        raise ValidationError(_("Minutes are drafted once the meeting is held."))
    if meeting.minutes.exists():
        raise ValidationError(_("This meeting already has minutes."))
    minutes = Minutes.objects.create(meeting=meeting, number=1, created_by=actor)
    for agenda_item in meeting.agenda_items.all():
        item = MinutesItem.objects.create(
            minutes=minutes, agenda_item=agenda_item, updated_by=actor
        )
        MinutesItemRevision.objects.create(item=item, revision=1, author=actor)
    audit.record(actor=actor, action="minutes.start", obj=minutes)
    return minutes


class StaleEdit(Exception):
    """The item changed since the editor loaded it; nothing was written."""

    def __init__(self, item: MinutesItem, changes: list[dict[str, Any]]) -> None:
        super().__init__("stale minutes edit")
        self.item = item
        self.changes = changes


def _diff(item: MinutesItem, base_revision: int) -> list[dict[str, Any]]:
    base = MinutesItemRevision.objects.filter(item=item, revision=base_revision).first()
    labels = {f: MinutesItem._meta.get_field(f).verbose_name for f in MinutesItem.EDITABLE_FIELDS}
    changes = []
    for field in MinutesItem.EDITABLE_FIELDS:
        old = getattr(base, field, "") if base else ""
        new = getattr(item, field)
        if old != new:
            lines = list(
                difflib.unified_diff(
                    old.splitlines(), new.splitlines(), lineterm="", n=1, fromfile="", tofile=""
                )
            )[2:]
            changes.append({"field": field, "label": labels[field], "diff": lines, "current": new})
    return changes


@transaction.atomic
def minutes_item_save(
    *, actor: User, item: MinutesItem, base_revision: int, discussion: str, decisions: str
) -> MinutesItem:
    """Save one item if nobody saved it since ``base_revision``; otherwise raise ``StaleEdit``.

    The conditional UPDATE is the arbiter: of two editors starting from the same revision,
    exactly one write succeeds, on every database.
    """
    _require(permissions.may_manage_meetings(actor))
    minutes = Minutes.objects.get(pk=item.minutes_id)
    if not minutes.is_editable:
        raise ValidationError(_("These minutes are not open for editing."))
    now = timezone.now()
    written = MinutesItem.objects.filter(pk=item.pk, revision=base_revision).update(
        discussion=discussion,
        decisions=decisions,
        revision=F("revision") + 1,
        updated_by=actor,
        updated=now,
    )
    if written != 1:
        current = MinutesItem.objects.select_related("updated_by").get(pk=item.pk)
        raise StaleEdit(current, _diff(current, base_revision))
    item.refresh_from_db()
    MinutesItemRevision.objects.create(
        item=item,
        revision=item.revision,
        discussion=discussion,
        decisions=decisions,
        author=actor,
        saved=now,
    )
    audit.record(
        actor=actor, action="minutes.item_save", obj=item, fields=list(MinutesItem.EDITABLE_FIELDS)
    )
    return item


@transaction.atomic
def action_item_add(*, actor: User, item: MinutesItem, data: dict[str, Any]) -> ActionItem:
    """A new action item in the minutes; it goes live when these minutes are published."""
    _require(permissions.may_manage_meetings(actor))
    minutes = _lock_minutes(item.minutes)
    if not minutes.is_editable:
        raise ValidationError(_("These minutes are not open for editing."))
    action = ActionItem(
        meeting=minutes.meeting,
        minutes_item=item,
        text=data.get("text", ""),
        organisation=data.get("organisation"),
        owner=data.get("owner"),
        due_date=data.get("due_date"),
    )
    action.full_clean()
    if (
        not Membership.objects.active()
        .filter(user=action.owner, organisation=action.organisation)
        .exists()
    ):
        raise ValidationError(
            {"owner": _("The owner must be a member of the owning organisation.")}
        )
    action.save()
    audit.record(actor=actor, action="action.add", obj=action, fields=["text", "owner", "due_date"])
    return action


@transaction.atomic
def action_item_remove(*, actor: User, action: ActionItem) -> None:
    _require(permissions.may_manage_meetings(actor))
    minutes = _lock_minutes(action.minutes_item.minutes)
    if not minutes.is_editable or action.published:
        raise ValidationError(_("Only a draft action item can be removed."))
    audit.record(actor=actor, action="action.remove", obj=action)
    action.delete()


def _transition(
    minutes: Minutes, *, from_states: Iterable[str], to: str, error: str, **fields: Any
) -> Minutes:
    locked = _lock_minutes(minutes)
    if locked.state not in from_states:
        raise ValidationError(error)
    locked.state = to
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.save()
    return locked


@transaction.atomic
def minutes_circulate(*, actor: User, minutes: Minutes) -> Minutes:
    _require(permissions.may_manage_meetings(actor))
    minutes = _transition(
        minutes,
        from_states=(Minutes.State.DRAFT, Minutes.State.RETURNED),
        to=Minutes.State.CIRCULATED,
        error=_("Only draft or returned minutes can be circulated."),
        circulated_at=timezone.now(),
    )
    audit.record(actor=actor, action="minutes.circulate", obj=minutes, fields=["state"])
    _notify(
        participants(minutes.meeting),
        kind="meeting.minutes_circulated",
        title=lambda: (
            _("Draft minutes for your comments: %(title)s") % {"title": minutes.meeting.title}
        ),
        url=_minutes_url(minutes),
        actor=actor,
    )
    return minutes


@transaction.atomic
def minutes_comment(*, actor: User, item: MinutesItem, text: str) -> MinutesComment:
    """A participant comments on one item while the minutes are circulated."""
    _require(permissions.may_comment(actor))
    minutes = _lock_minutes(item.minutes)
    if minutes.state != Minutes.State.CIRCULATED:
        raise ValidationError(_("Comments are taken while the minutes are circulated."))
    comment = MinutesComment(item=item, author=actor, text=(text or "").strip())
    comment.full_clean()
    comment.save()
    audit.record(actor=actor, action="minutes.comment", obj=comment, fields=["text"])
    _notify(
        convenors(),
        kind="meeting.minutes_comment",
        title=lambda: (
            _("New comment on the minutes of %(title)s") % {"title": minutes.meeting.title}
        ),
        url=_minutes_url(minutes),
        actor=actor,
    )
    return comment


@transaction.atomic
def minutes_comment_resolve(
    *, actor: User, comment: MinutesComment, resolution: str
) -> MinutesComment:
    _require(permissions.may_manage_meetings(actor))
    updated = MinutesComment.objects.filter(pk=comment.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=actor, resolution=(resolution or "").strip()[:500]
    )
    if updated != 1:
        raise ValidationError(_("This comment is already resolved."))
    comment.refresh_from_db()
    audit.record(actor=actor, action="minutes.comment_resolve", obj=comment, fields=["resolution"])
    return comment


@transaction.atomic
def minutes_submit(*, actor: User, minutes: Minutes) -> Minutes:
    _require(permissions.may_manage_meetings(actor))
    # Lock first: minutes_comment takes the same lock, so no comment can slip in between
    # this check and the transition.
    _lock_minutes(minutes)
    if MinutesComment.objects.filter(item__minutes=minutes, resolved_at__isnull=True).exists():
        raise ValidationError(_("Resolve every comment before submitting the minutes."))
    minutes = _transition(
        minutes,
        from_states=(Minutes.State.CIRCULATED, Minutes.State.RETURNED),
        to=Minutes.State.SUBMITTED,
        error=_("Circulate the minutes before submitting them."),
        submitted_at=timezone.now(),
    )
    audit.record(actor=actor, action="minutes.submit", obj=minutes, fields=["state"])
    _notify(
        reviewers(),
        kind="meeting.minutes_submitted",
        title=lambda: _("Minutes to review: %(title)s") % {"title": minutes.meeting.title},
        url=_minutes_url(minutes),
        actor=actor,
    )
    return minutes


@transaction.atomic
def minutes_approve(*, actor: User, minutes: Minutes) -> Minutes:
    _require(permissions.may_review_minutes(actor))
    minutes = _transition(
        minutes,
        from_states=(Minutes.State.SUBMITTED,),
        to=Minutes.State.APPROVED,
        error=_("Only submitted minutes can be approved."),
        reviewed_by=actor,
        approved_at=timezone.now(),
    )
    audit.record(actor=actor, action="minutes.approve", obj=minutes, fields=["state"])
    _notify(
        convenors(),
        kind="meeting.minutes_approved",
        title=lambda: _("Minutes approved: %(title)s") % {"title": minutes.meeting.title},
        url=_minutes_url(minutes),
        actor=actor,
    )
    return minutes


@transaction.atomic
def minutes_return(*, actor: User, minutes: Minutes, comments: str) -> Minutes:
    _require(permissions.may_review_minutes(actor))
    comments = (comments or "").strip()
    if not comments:
        raise ValidationError({"comments": _("Say what should change.")})
    minutes = _transition(
        minutes,
        from_states=(Minutes.State.SUBMITTED,),
        to=Minutes.State.RETURNED,
        error=_("Only submitted minutes can be returned."),
        reviewed_by=actor,
        review_comments=comments,
    )
    audit.record(
        actor=actor, action="minutes.return", obj=minutes, fields=["state", "review_comments"]
    )
    _notify(
        convenors(),
        kind="meeting.minutes_returned",
        title=lambda: (
            _("Minutes returned with comments: %(title)s") % {"title": minutes.meeting.title}
        ),
        url=_minutes_url(minutes),
        actor=actor,
    )
    return minutes


@transaction.atomic
def minutes_publish(*, actor: User, minutes: Minutes) -> Minutes:
    """Approved → published (frozen).  Its new action items go live and their owners are told."""
    _require(permissions.may_manage_meetings(actor))
    now = timezone.now()
    minutes = _transition(
        minutes,
        from_states=(Minutes.State.APPROVED,),
        to=Minutes.State.PUBLISHED,
        error=_("Only approved minutes can be published."),
        published_at=now,
    )
    new_actions = list(
        ActionItem.objects.filter(
            minutes_item__minutes=minutes, published__isnull=True
        ).select_related("owner")
    )
    ActionItem.objects.filter(pk__in=[a.pk for a in new_actions]).update(published=now)
    audit.record(actor=actor, action="minutes.publish", obj=minutes, fields=["state"])
    meeting = minutes.meeting
    _notify(
        participants(meeting),
        kind="meeting.minutes_published",
        title=lambda: _("Minutes published: %(title)s") % {"title": meeting.title},
        url=_minutes_url(minutes),
        actor=actor,
    )
    for action in new_actions:
        _notify(
            [action.owner],
            kind="meeting.action_assigned",
            title=lambda a=action: (
                _("Action item #%(id)s is yours (due %(due)s)")
                % {"id": a.pk, "due": a.due_date.strftime("%d/%m/%Y")}
            ),
            url=action.get_absolute_url(),
            actor=actor,
        )
    return minutes


@transaction.atomic
def minutes_correct(*, actor: User, minutes: Minutes, reason: str) -> Minutes:
    """A corrigendum: a new draft version copied from the latest published one."""
    _require(permissions.may_manage_meetings(actor))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what the correction is for.")})
    Meeting.objects.select_for_update().get(pk=minutes.meeting_id)
    latest = Minutes.objects.filter(meeting_id=minutes.meeting_id).order_by("-number").first()
    if latest is None or latest.pk != minutes.pk or latest.state != Minutes.State.PUBLISHED:
        raise ValidationError(_("Only the latest published minutes can be corrected."))
    try:
        with transaction.atomic():
            new = Minutes.objects.create(
                meeting_id=minutes.meeting_id,
                number=minutes.number + 1,
                correction_reason=reason,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError(_("A correction is already in progress.")) from None
    for old in minutes.items.all():
        item = MinutesItem.objects.create(
            minutes=new,
            agenda_item_id=old.agenda_item_id,
            discussion=old.discussion,
            decisions=old.decisions,
            updated_by=actor,
        )
        MinutesItemRevision.objects.create(
            item=item, revision=1, discussion=old.discussion, decisions=old.decisions, author=actor
        )
    audit.record(actor=actor, action="minutes.correct", obj=new, reason=reason)
    return new


# --- action items ------------------------------------------------------------------------


@transaction.atomic
def action_item_update(
    *, actor: User, action: ActionItem, text: str, state: str, date: datetime.date | None = None
) -> ActionItemUpdate:
    _require(permissions.may_update_action(actor, action))
    action = ActionItem.objects.select_for_update().get(pk=action.pk)
    if not action.published:
        raise ValidationError(_("This action item is not live yet."))
    if not action.is_pending:
        raise ValidationError(_("This action item is closed (done or dropped)."))
    if state not in ActionItem.State.values:
        raise ValidationError({"state": _("Choose a state.")})
    update = ActionItemUpdate(
        action_item=action,
        author=actor,
        text=(text or "").strip(),
        state=state,
        date=date or timezone.localdate(),
    )
    update.full_clean()
    if update.date > timezone.localdate():
        raise ValidationError({"date": _("A status update cannot be dated in the future.")})
    update.save()
    if action.state != state:
        action.state = state
        action.save(update_fields=["state"])
    audit.record(actor=actor, action="action.update", obj=action, fields=["state", "updates"])
    if actor.pk != action.owner_id:
        _notify(
            [action.owner],
            kind="meeting.action_updated",
            title=lambda: (
                _("Action item #%(id)s updated: %(state)s")
                % {"id": action.pk, "state": action.get_state_display()}
            ),
            url=action.get_absolute_url(),
            actor=actor,
        )
    return update


def action_items_warn(*, now: datetime.datetime) -> int:
    """Send each due-soon and overdue warning once per due date.  Returns how many were sent.

    Idempotent: the unique (item, kind, due date) row is claimed first, in the same
    transaction as the notification, so a rerun (or a concurrent tick) sends nothing again.
    """
    today = timezone.localdate(now)
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    sent = 0
    candidates = (
        ActionItem.objects.live()
        .pending()
        .filter(due_date__lte=soon)
        .select_related("owner", "meeting")
    )
    for action in candidates:
        kind = (
            ActionItemWarning.Kind.OVERDUE
            if action.due_date < today
            else ActionItemWarning.Kind.DUE_SOON
        )
        with transaction.atomic():
            _warning, created = ActionItemWarning.objects.get_or_create(
                action_item=action, kind=kind, due_date=action.due_date, defaults={"sent": now}
            )
            if not created:
                continue
            recipients = (
                [action.owner, *convenors()]
                if kind == ActionItemWarning.Kind.OVERDUE
                else [action.owner]
            )
            due = action.due_date.strftime("%d/%m/%Y")
            if kind == ActionItemWarning.Kind.OVERDUE:
                _notify(
                    recipients,
                    kind="meeting.action_overdue",
                    title=lambda a=action, d=due: (
                        _("Action item #%(id)s is overdue (was due %(due)s)")
                        % {"id": a.pk, "due": d}
                    ),
                    url=action.get_absolute_url(),
                    actor=None,
                )
            else:
                _notify(
                    recipients,
                    kind="meeting.action_due_soon",
                    title=lambda a=action, d=due: (
                        _("Action item #%(id)s is due on %(due)s") % {"id": a.pk, "due": d}
                    ),
                    url=action.get_absolute_url(),
                    actor=None,
                )
            audit.record(actor=None, action=f"action.{kind}", obj=action)
            sent += 1
    return sent
