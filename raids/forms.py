"""Forms check the shape of input; the services enforce the rules."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Membership, Organisation, User
from ftu.policy import POLICY, Cap
from ftu.roles import Language, OrgKind
from raids.choices import (
    AgeBand,
    Need,
    OffenderRole,
    Section,
    Sex,
    Stage,
    TaskState,
    TeamRole,
)
from raids.models import Raid

DT_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DT_FORMAT, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _person_label(user: User) -> str:
    return user.full_name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _person_label(obj)


class SectionsField(forms.MultipleChoiceField):
    """Sections of law as structured choices; anything else is refused by the field."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", Section.choices)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Sections"))
        super().__init__(**kwargs)


class RaidOpenForm(forms.Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Organisation.objects.none())
    codename = forms.CharField(
        label=_("Codename"),
        max_length=40,
        help_text=_("A word that says nothing about the place or the people."),
    )
    lead = PersonChoiceField(label=_("Lead officer"), queryset=User.objects.none())
    supervisor = PersonChoiceField(label=_("Approving supervisor"), queryset=User.objects.none())
    window_start = forms.DateTimeField(label=_("Planned start (IST)"), widget=DateTimeInput())
    window_end = forms.DateTimeField(label=_("Planned end (IST)"), widget=DateTimeInput())
    grounds = forms.CharField(
        label=_("Grounds for the search"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Recorded before entry (ITPA s.15(2)). Encrypted; "
            "the team reads it from the briefing on."
        ),
    )
    target_location = forms.CharField(
        label=_("Target location"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Encrypted; the team reads it from the briefing on."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from raids.services import eligible_leads, eligible_supervisors, police_units_of

        units = police_units_of(user)
        self.fields["unit"].queryset = units
        lead_ids: set[int] = set()
        supervisor_ids: set[int] = set()
        for unit in units:
            lead_ids |= set(eligible_leads(unit).values_list("pk", flat=True))
            supervisor_ids |= set(eligible_supervisors(unit).values_list("pk", flat=True))
        self.fields["lead"].queryset = User.objects.filter(pk__in=lead_ids)
        self.fields["lead"].initial = user.pk
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())
        self.fields["supervisor"].queryset = User.objects.filter(pk__in=supervisor_ids - {user.pk})
        if units.count() == 1:
            self.fields["unit"].initial = units.first()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end <= start:
            self.add_error("window_end", _("The planned window must end after it starts."))
        return data


class RaidPlanForm(forms.Form):
    window_start = forms.DateTimeField(label=_("Planned start (IST)"), widget=DateTimeInput())
    window_end = forms.DateTimeField(label=_("Planned end (IST)"), widget=DateTimeInput())
    grounds = forms.CharField(
        label=_("Grounds for the search"), widget=forms.Textarea(attrs={"rows": 4})
    )
    target_location = forms.CharField(
        label=_("Target location"), widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class MoveForm(forms.Form):
    step = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    confirm_gaps = forms.BooleanField(required=False, widget=forms.HiddenInput)


def _raid_join_kinds() -> list[str]:
    return sorted({kind for kind, _role in POLICY[Cap.RAID_JOIN]})


class TeamAddForm(forms.Form):
    membership = forms.ModelChoiceField(label=_("Person"), queryset=Membership.objects.none())
    role = forms.ChoiceField(label=_("Role in the raid"), choices=TeamRole.choices)

    def __init__(self, *args: Any, raid: Raid, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        field.queryset = (
            Membership.objects.active()
            .filter(organisation__kind__in=_raid_join_kinds())
            .exclude(user_id__in=[raid.lead_id, raid.supervisor_id])
            .exclude(user_id__in=raid.team.active().values("user_id"))
            .select_related("user", "organisation")
            .order_by("organisation__name", "user__full_name")
        )
        field.label_from_instance = lambda m: f"{m.user.full_name} · {m.organisation.display_name}"


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=120)
    owner_org = forms.ModelChoiceField(
        label=_("Owner organisation"), queryset=Organisation.objects.none(), required=False
    )
    owner_user = PersonChoiceField(
        label=_("Owner person"), queryset=User.objects.none(), required=False
    )
    due = forms.DateTimeField(label=_("Due (IST)"), widget=DateTimeInput())

    def __init__(self, *args: Any, raid: Raid, team: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_ids = {m.organisation_id for m in team} | {raid.unit_id}
        user_ids = {m.user_id for m in team} | {raid.lead_id, raid.supervisor_id}
        self.fields["owner_org"].queryset = Organisation.objects.filter(pk__in=org_ids)
        self.fields["owner_user"].queryset = User.objects.filter(pk__in=user_ids)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("owner_org") and not data.get("owner_user"):
            raise forms.ValidationError(_("Give the task an owner: an organisation or a person."))
        return data


class TaskMoveForm(forms.Form):
    to_state = forms.ChoiceField(label=_("New state"), choices=TaskState.choices)
    reason = forms.CharField(label=_("Why blocked"), max_length=300, required=False)


class ChecklistForm(forms.Form):
    checked = forms.BooleanField(label=_("Done"), required=False)
    note = forms.CharField(label=_("Reference or note"), max_length=500, required=False)


class OutcomeForm(forms.Form):
    minors_rescued = forms.IntegerField(label=_("Minors rescued"), min_value=0, max_value=500)
    adults_rescued = forms.IntegerField(label=_("Adults rescued"), min_value=0, max_value=500)
    fir_number = forms.CharField(label=_("FIR number"), max_length=40, required=False)
    fir_registered_on = forms.DateField(
        label=_("FIR registered on"), required=False, widget=DateInput()
    )
    police_station = forms.ModelChoiceField(
        label=_("Police station"),
        queryset=Organisation.objects.filter(kind=OrgKind.POLICE, is_active=True),
        required=False,
    )
    sections = SectionsField(label=_("Sections invoked"))


class RescuedForm(forms.Form):
    rescued_at = forms.DateTimeField(label=_("Rescued at (IST)"), widget=DateTimeInput())
    age_band = forms.ChoiceField(label=_("Apparent age"), choices=AgeBand.choices)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    needs = forms.MultipleChoiceField(
        label=_("Immediate needs"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class OffenderForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=OffenderRole.choices)
    sections = SectionsField()


class CaseOpenForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Organisation.objects.none())
    fir_number = forms.CharField(label=_("FIR number"), max_length=40)
    police_station = forms.ModelChoiceField(
        label=_("Police station"),
        queryset=Organisation.objects.filter(kind=OrgKind.POLICE, is_active=True),
    )
    fir_registered_on = forms.DateField(label=_("FIR registered on"), widget=DateInput())
    lead_reference = forms.CharField(
        label=_("Lead reference"),
        max_length=80,
        help_text=_("The reference of the lead the case started from (no names)."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from raids.services import police_units_of

        self.fields["unit"].queryset = police_units_of(user)


class AccusedForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=OffenderRole.choices)
    sections = SectionsField()
    arrested_on = forms.DateField(label=_("Arrested on"), required=False, widget=DateInput())
    name = forms.CharField(
        label=_("Name"), max_length=150, required=False, help_text=_("Encrypted.")
    )


class AdvanceForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("New stage"), choices=[c for c in Stage.choices if c[0] != Stage.ARRESTED]
    )
    on = forms.DateField(label=_("On"), widget=DateInput())
    sections = SectionsField(
        label=_("Revised sections"), help_text=_("Leave all unticked to keep the sections.")
    )
