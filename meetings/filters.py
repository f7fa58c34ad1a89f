from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import ActionItem, Meeting


class ActionItemFilter(django_filters.FilterSet):
    """An organisation's action items: by state, overdue, meeting.  Applied to a scoped queryset."""

    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"), queryset=None, empty_label=_("All my organisations")
    )
    state = django_filters.ChoiceFilter(label=_("State"), choices=ActionItem.State.choices)
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"),
        method="filter_overdue",
        widget=django_filters.widgets.BooleanWidget,
    )
    meeting = django_filters.ModelChoiceFilter(label=_("Meeting"), queryset=None)

    class Meta:
        model = ActionItem
        fields = ["organisation", "state", "overdue", "meeting"]

    def __init__(
        self, *args: Any, organisations: QuerySet, meetings: QuerySet[Meeting], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.filters["organisation"].queryset = organisations
        self.filters["meeting"].queryset = meetings

    def filter_overdue(
        self, queryset: QuerySet[ActionItem], name: str, value: Any
    ) -> QuerySet[ActionItem]:
        if value:
            return queryset.filter(state__in=ActionItem.PENDING, due_date__lt=timezone.localdate())
        return queryset
