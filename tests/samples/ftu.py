from __future__ import annotations

from typing import Any

from ftu import audit
from tests.samples import sample


@sample("audit_object")
def audit_object(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    # The audit page reads the log, not the object: no ``visible_to`` applies, so the matrix
    # expects 200 for the holders of Cap.AUDIT_VIEW (the convenor) and 404 for everyone else.
    shelter = personas["orgs"]["shelter"]
    audit.record(actor=personas["shelter_staff"], action="organisation.view", obj=shelter)
    return {"object_type": "agencies.organisation", "object_id": str(shelter.pk)}, None
