"""Root conftest: test-wide settings that must apply before any test module is imported."""

from __future__ import annotations
