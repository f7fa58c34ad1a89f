"""Settings for ``bench/page_weight.py``: the hub's own settings, served as production serves it.

Production (``FTU_ENV=production``) needs PostgreSQL, Redis and real secrets; the page weight
does not depend on them.  What it does depend on is taken from production here: DEBUG off,
static files collected by ``CompressedManifestStaticFilesStorage`` (hashed names, ``.gz``
and ``.br`` beside each file) and served by WhiteNoise, which answers with the compressed
variant the browser accepts.
"""

from __future__ import annotations

import os
from pathlib import Path

from ftu.settings import *  # noqa: F403

DEBUG = False
STATIC_ROOT = Path(os.environ["FTU_BENCH_STATIC_ROOT"])
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
