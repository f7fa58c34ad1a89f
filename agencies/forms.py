from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Invitation, Membership, Organisation, User
from agencies.services.organisations import ORGANISATION_FIELDS


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "phone", "preferred_language", "notification_email"]


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["organisation", "email", "full_name", "role", "title"]
        # The model's foreign key has no verbose name: its label would stay in English.
        labels = {"organisation": _("Organisation")}

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = None
        self.fields["email"].help_text = _("The invitation link is sent to this address only.")


class AcceptInvitationForm(forms.Form):
    """A new account's name and password; the service applies the password validators."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters. A long phrase of ordinary words is good."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "title"]


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = [*ORGANISATION_FIELDS, "services", "languages"]
        widgets = {
            "services": forms.CheckboxSelectMultiple,
            "languages": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = Organisation.objects.active()
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
