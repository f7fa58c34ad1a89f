from __future__ import annotations

from django import forms

from agencies.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "phone", "preferred_language", "notification_email"]
