"""Filters of the audit page (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from agencies.models import Organisation, User
from ftu.models import AuditEvent


class LabelledDateRangeWidget(django_filters.widgets.DateRangeWidget):
    """The two dates of a range, each with its own accessible name (one <label> names one)."""

    names = (_("From"), _("To"))

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> Any:
        context = super().get_context(name, value, attrs)
        for subwidget, label in zip(context["widget"]["subwidgets"], self.names, strict=True):
            subwidget["attrs"]["aria-label"] = str(label)
        return context


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(
        queryset=User.objects.order_by("full_name", "email"), label=_("Person")
    )
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.order_by("name"), label=_("Organisation")
    )
    action = django_filters.CharFilter(
        method="action_prefix",
        label=_("Action starts with"),
        help_text=_("For example “referral.” or “login”."),
    )
    object_type = django_filters.CharFilter(
        label=_("Object type"), help_text=_("A model label, for example “agencies.organisation”.")
    )
    outcome = django_filters.ChoiceFilter(choices=AuditEvent.Outcome.choices, label=_("Outcome"))
    created = django_filters.DateFromToRangeFilter(
        label=_("Date (from – to)"),
        widget=LabelledDateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "organisation", "action", "object_type", "outcome", "created"]

    def action_prefix(self, queryset: QuerySet[AuditEvent], name: str, value: Any) -> Any:
        return queryset.filter(action__startswith=value.strip())
