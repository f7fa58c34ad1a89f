"""Forms check the shape of input; the services enforce the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from meetings import selectors
from meetings.models import ActionItem, AgendaItem, Attendance, Meeting


class DateTimeLocal(forms.DateTimeInput):
    """``<input type=datetime-local>``: entered and shown in IST (the active time zone)."""

    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MeetingForm(forms.ModelForm):
    online_link = forms.URLField(label=_("online link"), required=False, assume_scheme="https")

    class Meta:
        model = Meeting
        fields = [
            "title",
            "kind",
            "start",
            "end",
            "venue",
            "online_link",
            "chair",
            "invited_organisations",
            "invited_people",
        ]
        widgets = {
            "start": DateTimeLocal(),
            "end": DateTimeLocal(),
            "invited_organisations": forms.CheckboxSelectMultiple,
            "invited_people": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {
            "start": _("Indian Standard Time (IST)."),
            "end": _("Indian Standard Time (IST)."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = selectors.invitable_people()
        self.fields["chair"].queryset = people
        self.fields["invited_people"].queryset = people
        self.fields["invited_organisations"].queryset = selectors.invitable_organisations()
        for name in ("start", "end"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def _post_clean(self) -> None:
        # The service validates the model (with the convenor it sets); skip ModelForm's.
        pass


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class AgendaItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = [
            "title",
            "description",
            "presenter_organisation",
            "minutes_allotted",
            "is_confidential",
            "named_people",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "named_people": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["presenter_organisation"].queryset = selectors.invitable_organisations()
        self.fields["named_people"].queryset = selectors.invitable_people()

    def _post_clean(self) -> None:
        pass


class AttendanceForm(forms.Form):
    """One status and delegate per invited person and organisation (fields built per meeting)."""

    CHOICES = [("", _("Not recorded")), *Attendance.Status.choices]

    def __init__(self, *args: Any, rows: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            key = (
                f"org_{row['organisation'].pk}"
                if "organisation" in row
                else f"person_{row['person'].pk}"
            )
            label = (
                row["organisation"].display_name if "organisation" in row else str(row["person"])
            )
            record = row["record"]
            self.fields[f"{key}_status"] = forms.ChoiceField(
                label=label,
                choices=self.CHOICES,
                required=False,
                initial=record.status if record else "",
            )
            self.fields[f"{key}_delegate"] = forms.CharField(
                label=_("Delegate's name (%(who)s)") % {"who": label},
                max_length=150,
                required=False,
                initial=record.delegate_name if record else "",
            )
            row["key"] = key


class SummaryForm(forms.Form):
    summary = forms.CharField(
        label=_("Public summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Media members read only this. Never a child's identity, a place of rescue or a raid. "
            "Leave empty to withdraw it."
        ),
    )


class MinutesItemForm(forms.Form):
    """``revision`` is the version the editor started from; a stale one is refused."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    discussion = forms.CharField(
        label=_("Discussion"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    decisions = forms.CharField(
        label=_("Decisions"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class ActionItemForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["text", "organisation", "owner", "due_date"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = selectors.invitable_organisations()
        self.fields["owner"].queryset = selectors.invitable_people()

    def _post_clean(self) -> None:
        pass


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Your comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), max_length=500, required=False)


class ReturnForm(forms.Form):
    comments = forms.CharField(
        label=_("What should change"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CorrectForm(forms.Form):
    reason = forms.CharField(
        label=_("What does the correction fix?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ActionUpdateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=ActionItem.State.choices)
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    text = forms.CharField(
        label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
