from __future__ import annotations

from typing import Any

from agencies.models_actions import ActionVisibility
from tests.agencies.actions_support import make_post, png_bytes, upload
from tests.samples import sample


@sample("action_post")
def action_post(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    # Partners only: media members must get 404; every partner (the outsider too) 200.
    post = make_post(personas, visibility=ActionVisibility.PARTNERS)
    return {"pk": post.pk}, post


@sample("action_attachment")
def action_attachment(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    post = make_post(
        personas,
        visibility=ActionVisibility.PARTNERS,
        files=[upload("poster.png", png_bytes(), "image/png")],
    )
    attachment = post.attachments.get()
    return {"pk": attachment.pk}, attachment
