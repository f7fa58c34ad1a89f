from __future__ import annotations

app_name = "raids"

urlpatterns: list = []
