from __future__ import annotations

from typing import Any

from tests.samples import sample


@sample("organisation")
def organisation(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    # Not public: media members must get 404 on it.
    shelter = personas["orgs"]["shelter"]
    return {"pk": shelter.pk}, shelter
