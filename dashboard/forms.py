from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from dashboard.selectors import MAX_MONTHS, Period

MONTH = ["%Y-%m"]


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m")


class PeriodForm(forms.Form):
    """The period shown: whole IST months, at most three years; last 12 months by default."""

    start = forms.DateField(label=_("From (month)"), input_formats=MONTH, widget=MonthInput())
    end = forms.DateField(label=_("To (month)"), input_formats=MONTH, widget=MonthInput())

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if isinstance(start, datetime.date) and isinstance(end, datetime.date):
            if end < start:
                raise forms.ValidationError(_("The last month is before the first."))
            try:
                data["period"] = Period(start.replace(day=1), end.replace(day=1))
            except ValueError as exc:
                raise forms.ValidationError(
                    _("Choose at most %(n)s months.") % {"n": MAX_MONTHS}
                ) from exc
        return data


def period_from(params: dict) -> tuple[PeriodForm, Period]:
    """The form (bound when the page was asked for a period) and the period to show."""
    default = Period.last_twelve()
    if "start" in params or "end" in params:
        form = PeriodForm(params)
        if form.is_valid():
            return form, form.cleaned_data["period"]
        return form, default
    return PeriodForm(initial={"start": default.first, "end": default.last}), default
