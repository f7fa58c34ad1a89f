"""Filters of the audit page (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.apps import apps
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from agencies.models import Organisation, User
from ftu.models import AuditEvent


def object_type_choices() -> list[tuple[str, str]]:
    """Every model label, as ``audit.record`` writes it (``app_label.modelname``)."""
    return sorted(
        (m._meta.label_lower, f"{m._meta.verbose_name} ({m._meta.label_lower})")
        for m in apps.get_models()
    )


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
    object_type = django_filters.ChoiceFilter(choices=object_type_choices, label=_("Object type"))
    outcome = django_filters.ChoiceFilter(choices=AuditEvent.Outcome.choices, label=_("Outcome"))
    created = django_filters.DateFromToRangeFilter(
        label=_("Date (from – to)"),
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "organisation", "action", "object_type", "outcome", "created"]

    def action_prefix(self, queryset: QuerySet[AuditEvent], name: str, value: Any) -> Any:
        return queryset.filter(action__startswith=value.strip())
