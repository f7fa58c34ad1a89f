from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications import preferences
from notifications.kinds import KINDS


class PreferencesForm(forms.Form):
    """Per kind: e-mail on/off, SMS on/off (urgent kinds only); quiet hours; digest."""

    quiet_start = forms.TimeField(
        label=_("Quiet hours from (IST, hh:mm)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours until (IST, hh:mm)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Urgent notifications still reach you during quiet hours."),
    )
    digest = forms.BooleanField(
        label=_("Send me a daily digest of unread notifications at 08:00"), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        stored = preferences.choices_for([user.pk])
        self.kind_rows = []
        for kind in sorted(KINDS.values(), key=lambda k: str(k.label)):
            if not kind.external:
                continue
            current = preferences.choice(stored, user.pk, kind.code)
            email_name, sms_name = f"email__{kind.code}", f"sms__{kind.code}"
            self.fields[email_name] = forms.BooleanField(
                label=_("E-mail"), required=False, initial=current.email
            )
            row = {"kind": kind, "email": email_name, "sms": None}
            if kind.urgent:
                self.fields[sms_name] = forms.BooleanField(
                    label=_("SMS"), required=False, initial=current.sms
                )
                row["sms"] = sms_name
            self.kind_rows.append(row)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            raise forms.ValidationError(_("Give both ends of the quiet hours, or neither."))
        if not self.user.phone and any(
            data.get(name) for name in self.fields if name.startswith("sms__")
        ):
            raise forms.ValidationError(_("Add a phone number to your profile to receive SMS."))
        return data

    def kinds(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {
            row["kind"].code: (
                bool(data.get(row["email"])),
                bool(row["sms"] and data.get(row["sms"])),
            )
            for row in self.kind_rows
        }

    def bound_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": row["kind"],
                "email": self[row["email"]],
                "sms": self[row["sms"]] if row["sms"] else None,
            }
            for row in self.kind_rows
        ]
