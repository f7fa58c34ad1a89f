"""The partners' actions feed: what each partner did, shared with the FTU (or with the public).

A post never carries a child's identity (the identity guard in ``services_actions`` refuses it)
nor an address (``validate_place``).  Attachments are re-encoded copies stored under random
names outside any public URL, and served only by an authorised view.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

__all__ = [
    "ActionAcknowledgement",
    "ActionAttachment",
    "ActionCategory",
    "ActionComment",
    "ActionPost",
    "ActionVisibility",
    "AttachmentKind",
]

# --- place: a district or block, never an address ---------------------------------------

# Words that belong to addresses, not to districts or blocks (English, transliterated Hindi
# and Devanagari).  A place holding one of them, or any digit, is refused.
ADDRESS_WORDS = frozenset(
    {
        "house",
        "h.no",
        "hno",
        "flat",
        "plot",
        "street",
        "st",
        "road",
        "rd",
        "lane",
        "marg",
        "gali",
        "mohalla",
        "muhalla",
        "colony",
        "sector",
        "near",
        "opposite",
        "opp",
        "behind",
        "floor",
        "building",
        "apartment",
        "tower",
        "ward",
        "pin",
        "pincode",
        "village",
        "gaon",
        "school",
        "गली",
        "मकान",
        "सड़क",
        "मोहल्ला",
        "मुहल्ला",
        "कॉलोनी",
        "गांव",
        "गाँव",
        "निकट",
        "पास",
        "सामने",
        "पीछे",
        "स्कूल",
        "विद्यालय",
        "वार्ड",
    }
)
PLACE_MAX_LENGTH = 40
PLACE_MAX_WORDS = 4
_PLACE_ALLOWED_PUNCTUATION = frozenset(" -.()")


def validate_place(value: str) -> None:
    """A district, a block or 'district-wide': short words, no digits, no address words.

    A village, a street or a school can point to a child (Nipun Saxena: anything from which
    the victim is discernible), so the feed only ever names a district or a block.
    """
    text = " ".join((value or "").split())
    if not text:
        raise ValidationError(_("Name the district or block."), code="required")
    if len(text) > PLACE_MAX_LENGTH or len(text.split()) > PLACE_MAX_WORDS:
        raise ValidationError(
            _("Name only the district or block, in at most four words."), code="too_long"
        )
    for char in text:
        category = unicodedata.category(char)
        if category == "Nd" or char.isdigit():
            raise ValidationError(
                _("A place may not contain numbers: name the district or block, never an address."),
                code="address",
            )
        if char in _PLACE_ALLOWED_PUNCTUATION:
            continue
        if category[0] not in ("L", "M"):
            raise ValidationError(
                _("Use letters only: name the district or block, never an address."),
                code="address",
            )
    words = {w.strip(".()-") for w in re.split(r"[\s\-]+", text.casefold())}
    if words & ADDRESS_WORDS:
        raise ValidationError(
            _(
                "This looks like an address. Name only the district or block: an address, "
                "a village or a school can identify a child."
            ),
            code="address",
        )


# --- choices ---------------------------------------------------------------------------


class ActionCategory(models.TextChoices):
    AWARENESS = "awareness", _("Awareness campaign")
    TRAINING = "training", _("Training")
    RESCUE_REHAB = "rescue_rehab", _("Rescue and rehabilitation")
    RAID_SUMMARY = "raid_summary", _("Raid summary (safe to share)")
    PROSECUTION = "prosecution", _("Prosecution update")
    SHELTER_CAPACITY = "shelter_capacity", _("Shelter capacity")
    OTHER = "other", _("Other")


class ActionVisibility(models.TextChoices):
    PARTNERS = "partners", _("FTU partners only")
    PUBLIC = "public", _("Public: media may see and reuse it")


# --- private storage -------------------------------------------------------------------


class PrivateActionStorage(FileSystemStorage):
    """Files under ``MEDIA_ROOT/actions`` that have no URL: only the download view serves them."""

    @cached_property
    def base_location(self) -> str:  # type: ignore[override]
        return os.path.join(settings.MEDIA_ROOT, "actions")

    def url(self, name: str | None) -> str:
        raise ValueError("Action attachments have no public URL; use the download view.")


# Readable by the server process only.
_storage = PrivateActionStorage(file_permissions_mode=0o600, directory_permissions_mode=0o700)


def action_storage() -> PrivateActionStorage:
    return _storage


def random_attachment_name(instance: Any, filename: str) -> str:
    """A random name: the uploaded file name (which may carry a child's name) is never kept."""
    ext = os.path.splitext(filename)[1].lower().lstrip(".")
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}.{ext}" if ext else f"{token[:2]}/{token}"


# --- models ----------------------------------------------------------------------------


class ActionPostQuerySet(models.QuerySet["ActionPost"]):
    def visible_to(self, user: Any) -> ActionPostQuerySet:
        """Partners see partner and public posts; media members see public posts only.

        "Partner" is ``Cap.ACTION_PARTNER`` (every organisation kind but media): that includes
        an organisation of another district admitted to the hub, which already sees every
        partner in the directory, and whose posts the district sees in turn.
        """
        from ftu.policy import Cap, can

        if not can(user, Cap.ACTION_FEED):
            return self.none()
        live = self.filter(withdrawn_at__isnull=True)
        if can(user, Cap.ACTION_PARTNER):
            return live
        return live.filter(visibility=ActionVisibility.PUBLIC)


class ActionPost(models.Model):
    organisation = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="action_posts",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        related_name="action_posts",
    )
    category = models.CharField(_("category"), max_length=20, choices=ActionCategory.choices)
    date = models.DateField(_("date of the action"))
    place = models.CharField(
        _("district or block"),
        max_length=PLACE_MAX_LENGTH,
        validators=[validate_place],
        help_text=_("The district or block only, never an address, a village or a school."),
    )
    # TextField's max_length binds only forms: the validator binds services too.
    text = models.TextField(
        _("what was done"), max_length=4000, validators=[MaxLengthValidator(4000)]
    )
    visibility = models.CharField(
        _("who may see it"),
        max_length=10,
        choices=ActionVisibility.choices,
        default=ActionVisibility.PARTNERS,
    )
    created = models.DateTimeField(_("posted"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = ActionPostQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        indexes = [
            # the feed: WHERE withdrawn_at IS NULL [AND visibility = 'public'] ORDER BY created DESC
            models.Index(fields=["-created", "-id"], name="actionpost_feed_idx"),
            # the feed filtered by organisation, newest first
            models.Index(fields=["organisation", "-created"], name="actionpost_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.organisation} · {self.date:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("actions:detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.visibility == ActionVisibility.PUBLIC


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("Image")
    PDF = "pdf", _("PDF")


class ActionAttachmentQuerySet(models.QuerySet["ActionAttachment"]):
    def visible_to(self, user: Any) -> ActionAttachmentQuerySet:
        """An attachment is visible exactly when its post is."""
        return self.filter(post__in=ActionPost.objects.visible_to(user))


class ActionAttachment(models.Model):
    """A checked, re-encoded copy of an uploaded image or PDF.  No original name is kept."""

    post = models.ForeignKey(ActionPost, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=8, choices=AttachmentKind.choices)
    content_type = models.CharField(max_length=40)
    file = models.FileField(storage=action_storage, upload_to=random_attachment_name, max_length=80)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    objects = ActionAttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["post", "position", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.download_name

    def get_absolute_url(self) -> str:
        return reverse("actions:attachment", args=[self.pk])

    @property
    def extension(self) -> str:
        return os.path.splitext(self.file.name)[1].lstrip(".") or "bin"

    @property
    def download_name(self) -> str:
        return f"ftu-action-{self.post_id}-{self.position + 1}.{self.extension}"

    @property
    def is_image(self) -> bool:
        return self.kind == AttachmentKind.IMAGE


class ActionAcknowledgement(models.Model):
    """A partner's "noted / thank you" on someone else's post: one per person."""

    post = models.ForeignKey(ActionPost, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="one_acknowledgement_per_person")
        ]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.post_id}"


class ActionComment(models.Model):
    post = models.ForeignKey(ActionPost, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "agencies.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("comment"), max_length=1000, validators=[MaxLengthValidator(1000)])
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            # comments of a post, oldest first
            models.Index(fields=["post", "created"], name="actioncomment_post_idx"),
        ]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.author_id} → {self.post_id}"
