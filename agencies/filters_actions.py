from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Organisation
from agencies.models_actions import ActionCategory, ActionPost, ActionVisibility


def _organisations(request: Any) -> Any:
    if request is None:
        return Organisation.objects.none()
    return Organisation.objects.visible_to(request.user).order_by("name")


class ActionFeedFilter(django_filters.FilterSet):
    organisation = django_filters.ModelChoiceFilter(
        queryset=_organisations, label=_("Organisation")
    )
    category = django_filters.ChoiceFilter(choices=ActionCategory.choices, label=_("Category"))
    date_from = django_filters.DateFilter(
        field_name="date",
        lookup_expr="gte",
        label=_("From"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="date",
        lookup_expr="lte",
        label=_("To"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    visibility = django_filters.ChoiceFilter(
        choices=ActionVisibility.choices, label=_("Visibility")
    )

    class Meta:
        model = ActionPost
        fields = ["organisation", "category", "date_from", "date_to", "visibility"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ftu.policy import Cap, can

        # Media members read public posts only: a visibility filter would offer them nothing.
        if self.request is None or not can(self.request.user, Cap.ACTION_PARTNER):
            self.filters.pop("visibility", None)
