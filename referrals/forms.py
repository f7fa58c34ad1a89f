"""Forms check the shape of input; the services enforce the rules."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Organisation
from ftu.roles import Language, OrgKind
from referrals import clock_rules
from referrals.models import (
    AgeBand,
    AgeBasis,
    AgeMethod,
    ClosureReason,
    CwcOrder,
    Milestone,
    Need,
    OffenderRole,
    ReferralService,
    Sex,
    Source,
    Urgency,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _not_future(value: Any) -> Any:
    if value and value > timezone.now():
        raise forms.ValidationError(_("The time cannot be in the future."))
    return value


class CaseForm(forms.Form):
    recording_org = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Recorded by"), empty_label=None
    )
    first_contact_at = forms.DateTimeField(
        label=_("Time of rescue or first contact (IST)"), widget=DATETIME
    )
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    police_station = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind=OrgKind.POLICE, is_active=True),
        label=_("Police station"),
        required=False,
    )
    district = forms.CharField(label=_("District"), max_length=80, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    apparent_age = forms.IntegerField(
        label=_("Apparent age"), min_value=0, max_value=25, required=False
    )
    age_band = forms.ChoiceField(label=_("Age band"), choices=AgeBand.choices)
    age_basis = forms.ChoiceField(label=_("Basis of the age assessment"), choices=AgeBasis.choices)
    age_assessed_at = forms.DateTimeField(
        label=_("Age assessed on (IST)"), widget=DATETIME, required=False
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    needs = forms.MultipleChoiceField(
        label=_("Needs"), choices=Need.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    name = forms.CharField(label=_("Name"), max_length=150)
    aliases = forms.CharField(
        label=_("Aliases"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    guardian_name = forms.CharField(label=_("Guardian"), max_length=150, required=False)
    guardian_contact = forms.CharField(label=_("Guardian's phone"), max_length=40, required=False)
    address = forms.CharField(
        label=_("Address"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    school = forms.CharField(label=_("School"), max_length=200, required=False)
    identifying_marks = forms.CharField(
        label=_("Identifying marks"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    circumstances = forms.CharField(
        label=_("Circumstances"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: Any, orgs: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recording_org"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in orgs]
        )
        if len(orgs) == 1:
            self.fields["recording_org"].initial = orgs[0].pk
            self.fields["recording_org"].widget = forms.HiddenInput()

    def clean_first_contact_at(self) -> Any:
        return _not_future(self.cleaned_data["first_contact_at"])

    def clean_age_assessed_at(self) -> Any:
        return _not_future(self.cleaned_data.get("age_assessed_at"))


class IdentityForm(forms.Form):
    """The protected fields of a case opened without them (from a rescue)."""

    name = CaseForm.base_fields["name"]
    aliases = CaseForm.base_fields["aliases"]
    guardian_name = CaseForm.base_fields["guardian_name"]
    guardian_contact = CaseForm.base_fields["guardian_contact"]
    address = CaseForm.base_fields["address"]
    school = CaseForm.base_fields["school"]
    identifying_marks = CaseForm.base_fields["identifying_marks"]
    circumstances = CaseForm.base_fields["circumstances"]


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see the identity?"),
        min_length=5,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit log with your name."),
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why is the case closed?"), choices=ClosureReason.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        help_text=_("Required for “Other”. Never the child's identity or a place."),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the case reopened?"),
        min_length=5,
        max_length=300,
        help_text=_("Recorded in the audit log with your name."),
    )


class LegalHoldForm(forms.Form):
    hold = forms.TypedChoiceField(
        label=_("Legal hold"),
        choices=[("1", _("Set the legal hold")), ("0", _("Clear the legal hold"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(
        label=_("Proceeding or reason"),
        min_length=5,
        max_length=300,
        help_text=_("For example the trial or appeal still open. Never the child's identity."),
    )


class AgeForm(forms.Form):
    determined_age = forms.IntegerField(label=_("Determined age"), min_value=0, max_value=30)
    age_method = forms.ChoiceField(label=_("How it was determined"), choices=AgeMethod.choices)
    determined_at = forms.DateTimeField(label=_("Determined on (IST)"), widget=DATETIME)

    def clean_determined_at(self) -> Any:
        return _not_future(self.cleaned_data["determined_at"])


class MilestoneForm(forms.Form):
    milestone = forms.ChoiceField(label=_("Event"), choices=Milestone.choices)
    at = forms.DateTimeField(label=_("When (IST)"), widget=DATETIME)

    def clean_at(self) -> Any:
        return _not_future(self.cleaned_data["at"])


class NotApplicableForm(forms.Form):
    rule = forms.ChoiceField(label=_("Deadline"), choices=())
    reason = forms.CharField(
        label=_("Why it does not apply"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [(r.code, r.label) for r in clock_rules.CASE_RULES]


class ProductionForm(forms.Form):
    cwc = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind=OrgKind.CWC, is_active=True),
        label=_("Child Welfare Committee"),
        empty_label=None,
    )
    produced_at = forms.DateTimeField(label=_("Produced on (IST)"), widget=DATETIME)
    before_whom = forms.CharField(label=_("Before whom (bench members)"), max_length=300)
    orders = forms.MultipleChoiceField(
        label=_("Orders"), choices=CwcOrder.choices, widget=forms.CheckboxSelectMultiple
    )
    order_details = forms.CharField(
        label=_("Order details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    final_order = forms.BooleanField(label=_("This is the final order"), required=False)
    next_date = forms.DateField(label=_("Next date"), required=False, widget=DATE)

    def clean_produced_at(self) -> Any:
        return _not_future(self.cleaned_data["produced_at"])


class ReferralForm(forms.Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    to_org = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Refer to"))
    service = forms.ChoiceField(label=_("Service"), choices=ReferralService.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.URGENT)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the receiving organisation needs to know. Never the child's identity."),
    )

    def __init__(self, *args: Any, receiving_kinds: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = Organisation.objects.filter(
            kind__in=receiving_kinds, is_active=True
        ).order_by("name")
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())


class AcceptForm(forms.Form):
    caseworker = forms.TypedChoiceField(label=_("Caseworker"), coerce=int, choices=())

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["caseworker"].choices = [(p.pk, p.full_name) for p in people]


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for declining"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class LeadForm(forms.Form):
    police_org = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("For the police unit"), empty_label=None
    )
    offender_role = forms.ChoiceField(label=_("Offender's role"), choices=OffenderRole.choices)
    description = forms.CharField(
        label=_("Description of the offender"), widget=forms.Textarea(attrs={"rows": 4})
    )
    places = forms.CharField(
        label=_("Places"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    phones = forms.CharField(
        label=_("Phone numbers"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    vehicles = forms.CharField(
        label=_("Vehicles"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, police: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["police_org"].queryset = police


class LeadActForm(forms.Form):
    reference = forms.CharField(label=_("FIR or raid it fed"), max_length=200)
