"""Kinds of partner organisation and roles of people in them (used by the access policy)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    POLICE = "police", _("Police")
    ADMINISTRATION = "administration", _("District administration")
    WCD = "wcd", _("Women and Child Development / DCPU")
    CWC = "cwc", _("Child Welfare Committee")
    NGO = "ngo", _("NGO")
    SHELTER = "shelter", _("Shelter home")
    MEDICAL = "medical", _("Medical")
    LEGAL_AID = "legal_aid", _("Legal aid")
    MEDIA = "media", _("Media")
    MP_OFFICE = "mp_office", _("MP's office")
    SECRETARIAT = "secretariat", _("FTU secretariat")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    COORDINATOR = "coordinator", _("Coordinator")


class Service(models.TextChoices):
    CWC_PRODUCTION = "cwc_production", _("CWC production")
    COUNSELLING = "counselling", _("Counselling")
    SHELTER = "shelter", _("Shelter")
    MEDICAL = "medical", _("Medical care")
    LEGAL_AID = "legal_aid", _("Legal aid")
    SUPPORT_PERSON = "support_person", _("Support person")
    RESCUE = "rescue", _("Rescue and raids")
    AWARENESS = "awareness", _("Awareness")
    OTHER = "other", _("Other")


class Language(models.TextChoices):
    HINDI = "hi", _("Hindi")
    ENGLISH = "en", _("English")
    URDU = "ur", _("Urdu")
    BENGALI = "bn", _("Bengali")
    NEPALI = "ne", _("Nepali")
    PUNJABI = "pa", _("Punjabi")
    SIGN = "sgn", _("Indian Sign Language")
