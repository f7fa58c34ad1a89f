from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.kinds import kind_choices
from notifications.models import Notification, OutboxMessage, OutboxState, Urgency


class InboxFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at",
        lookup_expr="isnull",
        label=_("Unread only"),
        widget=forms.CheckboxInput,
    )
    kind = django_filters.ChoiceFilter(choices=kind_choices, label=_("Kind"))
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label=_("Urgency"))
    since = django_filters.DateFilter(
        field_name="created",
        lookup_expr="date__gte",
        label=_("From (dd/mm/yyyy)"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )
    until = django_filters.DateFilter(
        field_name="created",
        lookup_expr="date__lte",
        label=_("Until (dd/mm/yyyy)"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind", "urgency", "since", "until"]

    def filter_queryset(self, queryset):  # type: ignore[no-untyped-def]
        # An unticked checkbox means "all", not "read only".
        if not self.form.cleaned_data.get("unread"):
            self.form.cleaned_data["unread"] = None
        return super().filter_queryset(queryset)


class OutboxFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=OutboxState.choices, label=_("State"))

    class Meta:
        model = OutboxMessage
        fields = ["state", "channel"]
