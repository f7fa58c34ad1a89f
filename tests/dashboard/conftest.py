import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_figures():
    """The dashboard caches its figures; each test starts without them (the database is
    rolled back between tests, the cache is not)."""
    cache.clear()
    yield
    cache.clear()
