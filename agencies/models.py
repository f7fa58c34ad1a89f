"""Partner organisations, the people in them, and invitations."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ftu.roles import Language, OrgKind, Role, Service


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in.  What they may see comes from their memberships, not from here."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="hi"
    )
    notification_email = models.EmailField(
        _("e-mail for notifications"),
        blank=True,
        help_text=_("Leave empty to use your login address."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    # Seeded demo accounts only: they may skip MFA enrolment in the embedded demo.
    is_demo = models.BooleanField(default=False, editable=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def contact_email(self) -> str:
        return self.notification_email or self.email


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def active(self) -> OrganisationQuerySet:
        return self.filter(is_active=True)

    def visible_to(self, user: Any) -> OrganisationQuerySet:
        """Every member sees active partners; media members see only public entries."""
        from ftu.policy import Cap, can

        if not can(user, Cap.DIRECTORY_VIEW):
            return self.none()
        if can(user, Cap.DIRECTORY_VIEW_ALL):
            return self.filter(is_active=True)
        return self.filter(is_active=True, is_public=True)


class Organisation(models.Model):
    name = models.CharField(_("name (English)"), max_length=200, unique=True)
    name_hi = models.CharField(_("name (Hindi)"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
    )
    district = models.CharField(_("district"), max_length=80, default="Meerut")
    services = models.ManyToManyField(
        "agencies.ServiceOffered", verbose_name=_("services"), blank=True, related_name="+"
    )
    languages = models.ManyToManyField(
        "agencies.LanguageServed", verbose_name=_("languages served"), blank=True, related_name="+"
    )
    shelter_beds = models.PositiveIntegerField(_("shelter beds"), null=True, blank=True)
    counselling_slots = models.PositiveIntegerField(
        _("counselling slots per week"), null=True, blank=True
    )
    phone_24x7 = models.CharField(_("24×7 phone"), max_length=20, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    address = models.CharField(_("office address"), max_length=300, blank=True)
    is_public = models.BooleanField(
        _("public entry"),
        default=False,
        help_text=_("Shown in the directory to media members as well."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="organisation_not_own_parent"
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("agencies:organisation", args=[self.pk])

    @property
    def display_name(self) -> str:
        if get_language() == "hi" and self.name_hi:
            return self.name_hi
        return self.name


class ServiceOffered(models.Model):
    """One row per service kind (seeded by migration), so organisations can be filtered by it."""

    code = models.CharField(max_length=20, choices=Service.choices, unique=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return str(Service(self.code).label)


class LanguageServed(models.Model):
    code = models.CharField(max_length=8, choices=Language.choices, unique=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return str(Language(self.code).label)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, organisation__is_active=True, user__is_active=True)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(_("title"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} ({self.get_role_display()})"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A single-use, expiring link that lets one person join one organisation with a role."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    email = models.EmailField(_("e-mail address"))
    full_name = models.CharField(_("full name"), max_length=150)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invitations"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(_("title"), max_length=120, blank=True)
    # Only the hash is stored: a database reader cannot use a pending link.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    accepted = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_role_display()}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires


from agencies.models_actions import *  # noqa: E402,F401,F403  (the partners' actions feed)
