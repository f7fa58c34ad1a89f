import pytest
from django.core.cache import cache

from dashboard.figures import VERSION_KEY


@pytest.fixture(autouse=True)
def _fresh_figures():
    """The dashboard caches its figures; each test starts without them (the database is
    rolled back between tests, the cache is not).  Only the version key is dropped, never
    the whole cache: on Redis, ``cache.clear()`` would empty a database others share."""
    cache.delete(VERSION_KEY)
    yield
    cache.delete(VERSION_KEY)
