"""django-allauth adapters: no open sign-up; MFA secrets encrypted with the field keys."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest

from ftu.crypto import decrypt_str, encrypt_str


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join only through an invitation (agencies.services.invitation_accept).
        return False


class MFAAdapter(DefaultMFAAdapter):
    """allauth stores TOTP secrets and recovery seeds in clear by default: encrypt them."""

    def encrypt(self, text: str) -> str:
        return encrypt_str(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_str(encrypted_text)


def axes_username(request: HttpRequest | None, credentials: dict | None = None) -> str | None:
    """The account a log-in attempt is about, for django-axes' per-account lockout.

    allauth authenticates with ``email=`` (not the form's ``login`` field), so axes'
    default lookup finds nothing and would lock by IP alone — locking out a whole police
    station behind one NAT.  Lower-cased so that case variants count as one account.
    """
    value = ""
    if credentials:
        value = credentials.get("email") or credentials.get("username") or ""
    if not value and request is not None:
        data = getattr(request, "data", None) or request.POST
        value = data.get("login", "") or data.get("username", "")
    value = str(value).strip().lower()
    return value or None
