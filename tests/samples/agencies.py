from __future__ import annotations

from typing import Any

from tests.samples import sample


@sample("organisation")
def organisation(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    # Not public: media members must get 404 on it.
    shelter = personas["orgs"]["shelter"]
    return {"pk": shelter.pk}, shelter


def _invite(personas: dict[str, Any], key: str = "ngo") -> tuple[Any, str]:
    from agencies import services

    tokens: list[str] = []
    invitation = services.invitation_create(
        actor=personas["convenor"],
        organisation=personas["orgs"][key],
        email=f"sample.{key}@example.org",
        full_name="Sample Invitee",
        link_for=lambda token: tokens.append(token) or f"/partners/join/{token}/",
    )
    return invitation, tokens[0]


@sample("invitation_link")
def invitation_link(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    invitation, token = _invite(personas)
    return {"token": token}, invitation


@sample("invitation")
def invitation(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    invitation, _token = _invite(personas)
    return {"pk": invitation.pk}, invitation


@sample("membership")
def membership(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    membership = personas["ngo_counsellor"].memberships.get()
    return {"pk": membership.pk}, membership


@sample("person")
def person(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    return {"pk": personas["ngo_counsellor"].pk}, personas["ngo_counsellor"]
