"""Writes of the actions feed: post, acknowledge, comment, withdraw.  Plus the identity guard.

Each service checks the permission, validates, writes in one transaction with its audit row,
and ends with its notification (stored in the transaction, pushed after commit).

The identity guard refuses text that holds the protected identity of a child in a case the
poster holds.  Cases live in the referrals app, which registers its guards here
(``register_identity_guard``), usually built with :func:`blind_index_guard` from the keyed
hashes (blind indexes) it already keeps for duplicate search: the text is compared with them
n-gram by n-gram, and no identity is ever decrypted for it.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.actions_files import MAX_FILES_PER_POST, CleanFile, clean_upload
from agencies.models import Membership, Organisation, User
from agencies.models_actions import (
    ActionAcknowledgement,
    ActionAttachment,
    ActionComment,
    ActionPost,
    ActionVisibility,
    action_storage,
)
from ftu import audit
from ftu.crypto import blind_index, normalise
from ftu.models import AuditEvent
from ftu.policy import ANY, POLICY, Cap, can, is_convenor
from ftu.roles import OrgKind, Role

logger = logging.getLogger(__name__)

KIND_POSTED = "action.posted"
KIND_COMMENTED = "action.commented"

# --- the identity guard ------------------------------------------------------------------

#: ``(actor, text) -> reasons``: an empty list lets the text through.  A reason says *why*
#: (e.g. "the name of a child in a case you hold") and never repeats what matched.
IdentityGuard = Callable[[Any, str], list[str]]

_GUARDS: list[IdentityGuard] = []
MAX_NGRAM = 4
# Kept inside words (d'souza, al-amin, k.); anything else between words separates them.
_JOINERS = frozenset("'’-.")


def register_identity_guard(guard: IdentityGuard) -> IdentityGuard:
    """Add a guard (from an AppConfig.ready()); registering the same callable twice is a no-op."""
    if guard not in _GUARDS:
        _GUARDS.append(guard)
    return guard


def unregister_identity_guard(guard: IdentityGuard) -> None:
    if guard in _GUARDS:
        _GUARDS.remove(guard)


def identity_guards() -> tuple[IdentityGuard, ...]:
    return tuple(_GUARDS)


def words_of(text: str) -> list[str]:
    """The normalised words of a text: punctuation and symbols separate words.

    Letters and combining marks are kept together, so Devanagari words keep their vowel signs.
    """
    chars = []
    for char in normalise(text):
        category = unicodedata.category(char)
        if category[0] in ("L", "M", "N") or char in _JOINERS:
            chars.append(char)
        else:
            chars.append(" ")
    words = ("".join(chars)).split()
    return [w.strip("".join(_JOINERS)) for w in words if w.strip("".join(_JOINERS))]


def _forms(word: str) -> set[str]:
    """A word as names get written: as is, without a possessive 's, hyphen/dot apart or joined."""
    forms = {word}
    for possessive in ("'s", "’s"):
        if word.endswith(possessive) and len(word) > len(possessive):
            forms.add(word[: -len(possessive)])
    for form in list(forms):
        if any(j in form for j in _JOINERS):
            apart = form
            for j in _JOINERS:
                apart = apart.replace(j, " ")
            forms.add(" ".join(apart.split()))
            forms.add("".join(ch for ch in form if ch not in _JOINERS))
    return {f for f in forms if f}


def candidate_phrases(text: str, max_words: int = MAX_NGRAM) -> Iterator[str]:
    """Every run of 1..max_words consecutive words, as the normalised phrase to hash.

    Each phrase is yielded once, in every spelling :func:`_forms` gives its words
    ("al-amin" → "al amin", "alamin"; "priya's" → "priya").
    """
    words = [sorted(_forms(w)) for w in words_of(text)]
    seen: set[str] = set()
    for start in range(len(words)):
        for length in range(1, max_words + 1):
            if start + length > len(words):
                break
            for combination in itertools.product(*words[start : start + length]):
                phrase = " ".join(combination)
                if phrase not in seen:
                    seen.add(phrase)
                    yield phrase


def phrase_index(value: str, *, purpose: str) -> str:
    """The keyed hash of a protected value *as the guard reads text*: words only, punctuation
    dropped ("Kumari, Priya" → "kumari priya").  Guards' providers should hash with this, so
    that both sides agree however the value was typed."""
    return blind_index(" ".join(words_of(value)), purpose=purpose)


def text_matches_blind_indexes(text: str, indexes: set[str], *, purpose: str) -> bool:
    """Whether any 1–4 word phrase of ``text`` has one of these keyed hashes (``purpose``)."""
    if not indexes or not text:
        return False
    return any(blind_index(p, purpose=purpose) in indexes for p in candidate_phrases(text))


def blind_index_guard(
    provider: Callable[[Any], Iterable[str]], *, purpose: str, reason: Any
) -> IdentityGuard:
    """Build a guard from ``provider(actor)``: the blind indexes of what ``actor`` must not post.

    ``purpose`` is the one the indexes were made with (``blind_index(value, purpose=…)``);
    ``reason`` is shown to the poster when a phrase matches.
    """

    def guard(actor: Any, text: str) -> list[str]:
        indexes = {i for i in provider(actor) if i}
        if text_matches_blind_indexes(text, indexes, purpose=purpose):
            return [str(reason)]
        return []

    guard.__name__ = f"blind_index_guard[{purpose}]"
    return guard


class IdentityRefused(ValidationError):
    """The text holds a protected identity: carries the reasons, never the matched words."""


def check_identity(*, actor: Any, texts: Sequence[str], field: str = "text") -> None:
    """Run every guard over the texts; raise ValidationError on ``field`` if one objects.

    Fails closed: a guard that breaks refuses the post (the check could not be made).
    """
    reasons: list[str] = []
    for guard in _GUARDS:
        for text in texts:
            if not text:
                continue
            try:
                found = guard(actor, text)
            except Exception:  # noqa: BLE001 - fail closed on any error of a guard
                logger.exception("identity guard failed; refusing the post")
                raise ValidationError(
                    {
                        field: gettext(
                            "The check for children's identities could not run, so nothing "
                            "was posted. Try again in a few minutes."
                        )
                    },
                    code="guard_failed",
                ) from None
            reasons.extend(r for r in found if r not in reasons)
    if reasons:
        message = gettext(
            "Not posted: this text seems to contain the identity of a child (%(reasons)s). "
            "A child's identity may never be shared (POCSO s.23, JJ Act s.74): remove it "
            "and post again."
        ) % {"reasons": "; ".join(reasons)}
        raise IdentityRefused({field: [message]}, code="identity")


def _record_identity_refusal(actor: User, action: str, obj: Any, field: str) -> None:
    """A refused identity is worth a look (R34): audit it in its own transaction."""
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=action,
            obj=obj,
            object_type="" if obj is not None else "agencies.actionpost",
            fields=[field],
            reason="identity guard",
            outcome=AuditEvent.Outcome.DENIED,
        )


# --- who is who ------------------------------------------------------------------------


def holders_of(cap: Cap) -> QuerySet[User]:
    """Active people holding ``cap`` through an active membership (from the policy table)."""
    pairs = POLICY.get(cap, ())
    if not pairs:
        return User.objects.none()
    condition: Q | None = None
    for kind, role in pairs:
        pair = Q()
        if kind != ANY:
            pair &= Q(organisation__kind=kind)
        if role != ANY:
            pair &= Q(role=role)
        if not pair:  # (ANY, ANY): every active membership
            condition = Q()
            break
        condition = pair if condition is None else condition | pair
    user_ids = Membership.objects.active().filter(condition).values("user_id")
    return User.objects.filter(is_active=True, pk__in=user_ids)


def posting_organisations(user: Any) -> QuerySet[Organisation]:
    """The organisations a person may post for: their own active ones."""
    return Organisation.objects.filter(
        is_active=True,
        memberships__user=user,
        memberships__is_active=True,
    ).distinct()


def can_withdraw(user: Any, post: ActionPost) -> bool:
    """The author, a coordinator of the posting organisation, or the convenor."""
    if not getattr(user, "is_authenticated", False):
        return False
    if post.author_id == user.pk or is_convenor(user):
        return True
    return (
        Membership.objects.active()
        .filter(user=user, organisation_id=post.organisation_id, role=Role.COORDINATOR)
        .exists()
    )


# --- services --------------------------------------------------------------------------


def action_post(
    *,
    actor: User,
    organisation: Organisation,
    category: str,
    date: datetime.date,
    place: str,
    text: str,
    visibility: str,
    files: Sequence[Any] = (),
) -> ActionPost:
    """Publish an action on the feed, with its attachments checked and cleaned.

    Files are written before the transaction commits; if it rolls back they are deleted.
    """
    if not can(actor, Cap.ACTION_POST):
        raise PermissionDenied
    if not posting_organisations(actor).filter(pk=organisation.pk).exists():
        raise ValidationError(
            {"organisation": gettext("You can post only for an organisation you belong to.")}
        )
    if organisation.kind == OrgKind.MEDIA and visibility != ActionVisibility.PUBLIC:
        # Media members read public posts only: a partners-only post would be hidden from them.
        raise ValidationError({"visibility": gettext("A media organisation's posts are public.")})
    if date > timezone.localdate():
        raise ValidationError({"date": gettext("The date cannot be in the future.")})
    if len(files) > MAX_FILES_PER_POST:
        raise ValidationError(
            {
                "files": gettext("At most %(n)s files can be attached to one post.")
                % {"n": MAX_FILES_PER_POST}
            }
        )
    post = ActionPost(
        organisation=organisation,
        author=actor,
        category=category,
        date=date,
        place=" ".join(place.split()),
        text=text.strip(),
        visibility=visibility,
    )
    post.full_clean()
    try:
        check_identity(actor=actor, texts=[post.text, post.place])
    except IdentityRefused:
        _record_identity_refusal(actor, "action.post_refused", None, "text")
        raise
    cleaned: list[CleanFile] = []
    errors: list[str] = []
    for index, upload in enumerate(files, start=1):
        try:
            cleaned.append(clean_upload(upload))
        except ValidationError as exc:
            errors.extend(
                gettext("File %(n)s: %(problem)s") % {"n": index, "problem": m}
                for m in exc.messages
            )
    if errors:
        raise ValidationError({"files": errors})

    stored: list[str] = []
    try:
        with transaction.atomic():
            post.save()
            for position, clean in enumerate(cleaned):
                attachment = ActionAttachment(
                    post=post,
                    kind=clean.kind,
                    content_type=clean.content_type,
                    size=len(clean.data),
                    width=clean.width,
                    height=clean.height,
                    sha256=clean.sha256,
                    position=position,
                )
                content = clean.as_content_file()
                attachment.file.save(content.name, content, save=False)
                stored.append(attachment.file.name)
                attachment.save()
            audit.record(
                actor=actor,
                action="action.post",
                obj=post,
                organisation=organisation,
                fields=["category", "date", "place", "text", "visibility"]
                + (["attachments"] if cleaned else []),
            )
            notify_action_posted(post=post, actor=actor)
    except BaseException:
        for name in stored:
            action_storage().delete(name)
        raise
    return post


def action_acknowledge_toggle(*, actor: User, post: ActionPost) -> bool:
    """Acknowledge a post, or take the acknowledgement back.  Returns whether it is now on."""
    if not can(actor, Cap.ACTION_PARTNER):
        raise PermissionDenied
    if not ActionPost.objects.visible_to(actor).filter(pk=post.pk).exists():
        raise PermissionDenied
    if post.author_id == actor.pk:
        raise ValidationError(gettext("You cannot acknowledge your own post."))
    with transaction.atomic():
        removed, _details = ActionAcknowledgement.objects.filter(post=post, user=actor).delete()
        if removed:
            now_on = False
        else:
            try:
                with transaction.atomic():
                    ActionAcknowledgement.objects.create(post=post, user=actor)
            except IntegrityError:  # a double click raced us: it is on either way
                pass
            now_on = True
        audit.record(
            actor=actor,
            action="action.acknowledge" if now_on else "action.unacknowledge",
            obj=post,
            organisation=post.organisation,
        )
    return now_on


def action_comment(*, actor: User, post: ActionPost, text: str) -> ActionComment:
    """A partner comments on a post.  The identity guard applies to comments too."""
    if not can(actor, Cap.ACTION_PARTNER):
        raise PermissionDenied
    if not ActionPost.objects.visible_to(actor).filter(pk=post.pk).exists():
        raise PermissionDenied
    organisation = (
        posting_organisations(actor).filter(kind__in=_partner_kinds()).order_by("name").first()
    )
    if organisation is None:
        raise PermissionDenied
    comment = ActionComment(post=post, author=actor, organisation=organisation, text=text.strip())
    comment.full_clean()
    try:
        check_identity(actor=actor, texts=[comment.text])
    except IdentityRefused:
        _record_identity_refusal(actor, "action.comment_refused", post, "comment")
        raise
    with transaction.atomic():
        comment.save()
        audit.record(
            actor=actor,
            action="action.comment",
            obj=post,
            organisation=organisation,
            fields=["comment"],
        )
        notify_action_commented(post=post, comment=comment, actor=actor)
    return comment


def action_withdraw(*, actor: User, post: ActionPost, reason: str) -> ActionPost:
    """Take a post off the feed (e.g. a photo shows more than it should) and erase its files.

    The post row stays (the audit chain points at it); its files are deleted after commit.
    """
    if not can(actor, Cap.ACTION_FEED) or not can_withdraw(actor, post):
        raise PermissionDenied
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": gettext("Say why the post is withdrawn.")})
    with transaction.atomic():
        updated = ActionPost.objects.filter(pk=post.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now(), withdrawn_by=actor
        )
        if not updated:
            raise ValidationError(gettext("This post was already withdrawn."))
        names = list(ActionAttachment.objects.filter(post=post).values_list("file", flat=True))
        ActionAttachment.objects.filter(post=post).delete()
        audit.record(
            actor=actor,
            action="action.withdraw",
            obj=post,
            organisation=post.organisation,
            fields=["withdrawn_at"] + (["attachments"] if names else []),
            reason=reason[:500],
        )

        def erase() -> None:
            for name in names:
                action_storage().delete(name)

        transaction.on_commit(erase)
    post.refresh_from_db()
    return post


# --- notifications ---------------------------------------------------------------------


def _partner_kinds() -> list[str]:
    return [
        str(k)
        for k in OrgKind
        if any((kind in (ANY, k)) for kind, _role in POLICY.get(Cap.ACTION_PARTNER, ()))
    ]


def action_post_recipients(post: ActionPost) -> QuerySet[User]:
    """Who hears of a new post: everyone who may read it on the feed.

    That is every active partner member (``Cap.ACTION_PARTNER``), plus media members for a
    public post — the people it is published for.  One row per person per post: a district
    FTU counts hundreds of people and posts arrive a few a day, so the fan-out stays small;
    the kind is normal (never urgent) so it does not crowd the urgent ones.
    """
    people = holders_of(Cap.ACTION_PARTNER)
    if post.is_public:
        people = people | holders_of(Cap.ACTION_FEED)
    return people.distinct().order_by("pk")


def notify_action_posted(*, post: ActionPost, actor: User) -> None:
    from notifications.services import notify, translated

    notify(
        recipients=action_post_recipients(post).iterator(),
        kind=KIND_POSTED,
        title=translated(
            _("%(org)s posted an action: %(category)s"),
            org=lambda: post.organisation.display_name,
            category=post.get_category_display,
        ),
        url=post.get_absolute_url(),
        actor=actor,
    )


def notify_action_commented(*, post: ActionPost, comment: ActionComment, actor: User) -> None:
    """The author and the earlier commenters (who can still read the post) hear of a comment."""
    from notifications.services import notify, translated

    involved = Q(pk=post.author_id) | Q(
        pk__in=ActionComment.objects.filter(post=post).values("author")
    )
    # Only those who may still read the post (a member who left is not told).
    readers = action_post_recipients(post).filter(involved)
    notify(
        recipients=readers,
        kind=KIND_COMMENTED,
        title=translated(
            _("New comment on an action of %(org)s"),
            org=lambda: post.organisation.display_name,
        ),
        url=post.get_absolute_url(),
        actor=actor,
    )


LABEL_POSTED = _("A partner posted an action")
LABEL_COMMENTED = _("A comment on an action you posted or discussed")
