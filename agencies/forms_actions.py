"""Forms of the actions feed: they check the shape of input; the services enforce the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.actions_files import MAX_FILE_BYTES, MAX_FILES_PER_POST
from agencies.models import Organisation
from agencies.models_actions import ActionComment, ActionPost, ActionVisibility
from ftu.roles import OrgKind

# Suggestions for the place field (a datalist: any district or block name is accepted).
MEERUT_BLOCKS = (
    "Meerut",
    "Rajpura",
    "Kharkhauda",
    "Jani Khurd",
    "Machhra",
    "Rohta",
    "Sardhana",
    "Daurala",
    "Sarurpur Khurd",
    "Mawana Kalan",
    "Hastinapur",
    "Parikshitgarh",
)


def place_suggestions() -> list[str]:
    configured = getattr(settings, "FTU_ACTION_PLACES", None)
    if configured:
        return list(configured)
    return [f"{settings.FTU_DISTRICT} district", *MEERUT_BLOCKS]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.webp,.pdf"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ActionPostForm(forms.ModelForm):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Posting for"), empty_label=None
    )
    files = MultipleFileField(label=_("Photos or documents"), required=False)
    no_identity = forms.BooleanField(
        label=_(
            "I have checked that no child can be recognised in the text or the files "
            "(no face, name, school, home or family)."
        ),
        required=True,
    )

    class Meta:
        model = ActionPost
        fields = ["organisation", "category", "date", "place", "text", "visibility"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6, "maxlength": 4000}),
            "place": forms.TextInput(attrs={"list": "action-places", "autocomplete": "off"}),
            "visibility": forms.RadioSelect,
        }
        help_texts = {
            "visibility": _(
                "Public posts are shown to media members with your organisation's name "
                "(never yours), and they may reuse them."
            ),
        }

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = gettext(
            "Up to %(n)s files: JPEG, PNG or WebP images, or PDF, %(mb)s MB each. Photos are "
            "re-saved without their hidden data (location, camera, time)."
        ) % {"n": MAX_FILES_PER_POST, "mb": MAX_FILE_BYTES // (1024 * 1024)}
        self.fields["organisation"].queryset = organisations
        orgs = list(organisations)
        if len(orgs) == 1:
            self.fields["organisation"].initial = orgs[0].pk
        if orgs and all(o.kind == OrgKind.MEDIA for o in orgs):
            self.fields["visibility"].choices = [
                c for c in ActionVisibility.choices if c[0] == ActionVisibility.PUBLIC
            ]
            self.fields["visibility"].initial = ActionVisibility.PUBLIC
        today = timezone.localdate()
        self.fields["date"] = forms.DateField(
            label=_("Date of the action"),
            initial=today,
            input_formats=["%Y-%m-%d", "%d/%m/%Y"],
            widget=forms.DateInput(
                format="%Y-%m-%d", attrs={"type": "date", "max": today.isoformat()}
            ),
        )

    def clean_date(self) -> Any:
        value = self.cleaned_data["date"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class ActionCommentForm(forms.ModelForm):
    class Meta:
        model = ActionComment
        fields = ["text"]
        labels = {"text": _("Your comment")}
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "maxlength": 1000})}


class ActionWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it withdrawn?"),
        max_length=300,
        help_text=_("Kept in the audit log. Do not repeat what was wrong with the post."),
    )
