from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from referrals.models import AgeBand, ChildCase, Referral, ReferralService, Sex, Urgency


class ReferralFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Referral.State.choices, label=_("State"))
    service = django_filters.ChoiceFilter(choices=ReferralService.choices, label=_("Service"))
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label=_("Urgency"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    sent_after = django_filters.DateFilter(
        field_name="created",
        lookup_expr="date__gte",
        label=_("From (date)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sent_before = django_filters.DateFilter(
        field_name="created",
        lookup_expr="date__lte",
        label=_("To (date)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Referral
        fields = ["state", "service", "urgency", "overdue", "sent_after", "sent_before"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        now = timezone.now()
        if value:
            return queryset.overdue(now)
        return queryset.exclude(state=Referral.State.SENT, response_due_at__lte=now)


class CaseFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(
        field_name="code", lookup_expr="icontains", label=_("Case code")
    )
    sex = django_filters.ChoiceFilter(choices=Sex.choices, label=_("Sex"))
    age_band = django_filters.ChoiceFilter(choices=AgeBand.choices, label=_("Age band"))
    since = django_filters.DateFilter(
        field_name="first_contact_at",
        lookup_expr="date__gte",
        label=_("Since (date)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    closed = django_filters.BooleanFilter(
        field_name="closed_at", lookup_expr="isnull", exclude=True, label=_("Closed")
    )

    class Meta:
        model = ChildCase
        fields = ["code", "sex", "age_band", "since", "closed"]
