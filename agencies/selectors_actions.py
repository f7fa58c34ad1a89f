"""Reads of the actions feed, scoped to the viewer.  Each list is a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from agencies.models_actions import (
    ActionAcknowledgement,
    ActionAttachment,
    ActionComment,
    ActionPost,
)


def _count(model: Any) -> Coalesce:
    """A correlated COUNT per post: no row multiplication, unlike several joined Counts."""
    counted = (
        model.objects.filter(post=OuterRef("pk"))
        .order_by()
        .values("post")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def action_feed(user: Any) -> QuerySet[ActionPost]:
    """The posts a person may read, newest first, with what the cards show."""
    return (
        ActionPost.objects.visible_to(user)
        .select_related("organisation", "author")
        .annotate(
            ack_count=_count(ActionAcknowledgement),
            comment_count=_count(ActionComment),
            attachment_count=_count(ActionAttachment),
            acknowledged=Exists(
                ActionAcknowledgement.objects.filter(post=OuterRef("pk"), user_id=user.pk)
            ),
        )
        .order_by("-created", "-id")
    )


def action_detail(user: Any, pk: int, *, with_discussion: bool) -> ActionPost:
    """One post (404 outside ``visible_to``), with its attachments and, for partners, the
    acknowledgements and comments."""
    qs = action_feed(user).prefetch_related(
        Prefetch("attachments", queryset=ActionAttachment.objects.order_by("position", "id"))
    )
    if with_discussion:
        qs = qs.prefetch_related(
            Prefetch(
                "acknowledgements",
                queryset=ActionAcknowledgement.objects.select_related("user").order_by("created"),
            ),
            Prefetch(
                "comments",
                queryset=ActionComment.objects.select_related("author", "organisation").order_by(
                    "created", "id"
                ),
            ),
        )
    return get_object_or_404(qs, pk=pk)


def attachment_for_download(user: Any, pk: int) -> ActionAttachment:
    return get_object_or_404(ActionAttachment.objects.visible_to(user), pk=pk)
