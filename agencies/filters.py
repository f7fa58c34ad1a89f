from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from agencies.models import Organisation
from ftu.roles import Language, OrgKind, Service


class DirectoryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name"))
    kind = django_filters.ChoiceFilter(choices=OrgKind.choices, label=_("Kind"))
    service = django_filters.ChoiceFilter(
        choices=Service.choices, field_name="services__code", label=_("Service"), distinct=True
    )
    language = django_filters.ChoiceFilter(
        choices=Language.choices, field_name="languages__code", label=_("Language"), distinct=True
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "service", "language"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        from django.db.models import Q

        return queryset.filter(
            Q(name__icontains=value) | Q(name_hi__icontains=value) | Q(short_name__icontains=value)
        )
