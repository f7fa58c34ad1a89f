"""Samples for the permission matrix: one builder per ``Access.sample`` name.

A builder takes the personas and returns ``(url kwargs, the object behind the URL)``.  The
matrix expects 200 for a persona when the view's capability is held *and* the object is in
``type(obj).objects.visible_to(persona)``; 404 otherwise.  Each app adds a module to this
package (``tests/samples/<app>.py``); every module here is imported automatically.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

Builder = Callable[[dict[str, Any]], tuple[dict[str, Any], Any]]
SAMPLES: dict[str, Builder] = {}


def sample(name: str) -> Callable[[Builder], Builder]:
    def decorator(fn: Builder) -> Builder:
        SAMPLES[name] = fn
        return fn

    return decorator


def load_all() -> dict[str, Builder]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return SAMPLES
