"""With the cache (Redis) down, writes still succeed and the dashboard is computed anyway."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from referrals.models import ChildCase
from tests.referrals.world import make_case

pytestmark = pytest.mark.django_db


class BrokenCache:
    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("cache down")

        return fail


@pytest.fixture
def cache_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dashboard.figures.cache", BrokenCache())


def test_a_write_succeeds_with_the_cache_down(personas: dict[str, Any], cache_down: None) -> None:
    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    assert ChildCase.objects.filter(pk=case.pk).exists()


def test_the_dashboard_is_computed_with_the_cache_down(
    personas: dict[str, Any], login: Any, cache_down: None
) -> None:
    make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    client = login(personas["convenor"])
    assert client.get(reverse("dashboard:dashboard")).status_code == 200
    assert client.get(reverse("dashboard:csv")).status_code == 200


def test_a_write_through_a_bulk_update_renews_the_figures(personas: dict[str, Any]) -> None:
    """Moving a raid is a queryset ``update()`` (no ``post_save``): its audit event renews them."""
    from django.core.cache import cache

    from dashboard.figures import VERSION_KEY
    from raids import services
    from tests.raids.helpers import make_raid

    raid = make_raid(personas)
    before = cache.get(VERSION_KEY)
    services.raid_move(actor=personas["police_supervisor"], raid=raid, step="approve")
    assert cache.get(VERSION_KEY) not in (None, before)
