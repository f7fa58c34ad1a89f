"""The feed page: who sees what, filters, pagination, live refresh, constant queries."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models_actions import ActionCategory, ActionPost, ActionVisibility
from tests.agencies.actions_support import make_post, private_media  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def posts(personas: dict[str, Any]) -> dict[str, ActionPost]:
    return {
        "partners": make_post(personas, text="PARTNER-ONLY-POST training for station staff."),
        "public": make_post(
            personas,
            author="police_supervisor",
            org="police",
            visibility=ActionVisibility.PUBLIC,
            category=ActionCategory.PROSECUTION,
            text="PUBLIC-POST four customers charged under POCSO.",
            days_ago=20,
        ),
    }


def _feed(login: Any, user: Any, query: str = "") -> str:
    response = login(user).get("/actions/" + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "key",
    ["ahtu_officer", "ngo_counsellor", "cwc_member", "mp_reviewer", "convenor", "shelter_staff"],
)
def test_partners_see_partner_and_public_posts(
    personas: dict[str, Any], login: Any, posts: Any, key: str
) -> None:
    body = _feed(login, personas[key])
    assert "PARTNER-ONLY-POST" in body and "PUBLIC-POST" in body


def test_media_sees_public_posts_only(personas: dict[str, Any], login: Any, posts: Any) -> None:
    body = _feed(login, personas["media_member"])
    assert "PUBLIC-POST" in body
    assert "PARTNER-ONLY-POST" not in body
    # Filtering for partner posts does not reveal them either.
    assert "PARTNER-ONLY-POST" not in _feed(login, personas["media_member"], "?visibility=partners")


def test_outsider_partner_from_another_district_sees_partner_posts(
    personas: dict[str, Any], login: Any, posts: Any
) -> None:
    # An organisation admitted to the hub is a partner wherever it works (it already sees
    # every partner in the directory): partner posts are written for all partners.
    body = _feed(login, personas["outsider"])
    assert "PARTNER-ONLY-POST" in body and "PUBLIC-POST" in body


def test_anonymous_and_deactivated_are_sent_to_log_in(
    personas: dict[str, Any], login: Any, posts: Any
) -> None:
    for user in (None, personas["deactivated"]):
        response = login(user).get("/actions/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_feed_rejects_post(personas: dict[str, Any], login: Any) -> None:
    assert login(personas["convenor"]).post("/actions/").status_code == 405


def test_filters_by_category_organisation_visibility_and_dates(
    personas: dict[str, Any], login: Any, posts: Any
) -> None:
    user = personas["convenor"]
    assert "PUBLIC-POST" not in _feed(login, user, "?category=awareness")
    assert "PARTNER-ONLY-POST" in _feed(login, user, "?category=awareness")
    police = personas["orgs"]["police"].pk
    body = _feed(login, user, f"?organisation={police}")
    assert "PUBLIC-POST" in body and "PARTNER-ONLY-POST" not in body
    body = _feed(login, user, "?visibility=public")
    assert "PUBLIC-POST" in body and "PARTNER-ONLY-POST" not in body
    ten_days_ago = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    body = _feed(login, user, f"?date_from={ten_days_ago}")
    assert "PARTNER-ONLY-POST" in body and "PUBLIC-POST" not in body
    body = _feed(login, user, f"?date_to={ten_days_ago}")
    assert "PUBLIC-POST" in body and "PARTNER-ONLY-POST" not in body


def test_bad_filter_input_is_shown_not_a_crash(
    personas: dict[str, Any], login: Any, posts: Any
) -> None:
    response = login(personas["convenor"]).get("/actions/?date_from=yesterday&category=nope")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a valid date." in body
    assert "Select a valid choice." in body


def test_media_cannot_filter_by_a_non_public_organisation(
    personas: dict[str, Any], login: Any
) -> None:
    make_post(
        personas,
        author="shelter_coordinator",
        org="shelter",
        visibility=ActionVisibility.PUBLIC,
        text="SHELTER-PUBLIC-POST beds free.",
    )
    shelter = personas["orgs"]["shelter"].pk  # not a public directory entry
    body = _feed(login, personas["media_member"], f"?organisation={shelter}")
    assert "Select a valid choice." in body


def test_feed_is_paginated(personas: dict[str, Any], login: Any) -> None:
    for i in range(23):
        make_post(personas, text=f"POST-NUMBER-{i:02d} done.")
    first = _feed(login, personas["convenor"])
    assert "POST-NUMBER-22" in first and "POST-NUMBER-02" not in first
    assert "Page 1 of 2" in first
    second = _feed(login, personas["convenor"], "?page=2")
    assert "POST-NUMBER-02" in second and "POST-NUMBER-22" not in second


def test_feed_query_count_does_not_grow_with_posts(personas: dict[str, Any], login: Any) -> None:
    from agencies.services_actions import action_acknowledge_toggle, action_comment

    client = login(personas["convenor"])

    def queries() -> int:
        client.get("/actions/")  # settle the session writes
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/actions/").status_code == 200
        return len(ctx.captured_queries)

    post = make_post(personas)
    action_acknowledge_toggle(actor=personas["cwc_member"], post=post)
    few = queries()
    for i in range(15):
        post = make_post(personas, author="ahtu_officer", org="ahtu", text=f"Post {i}.")
        action_acknowledge_toggle(actor=personas["cwc_member"], post=post)
        action_comment(actor=personas["ngo_counsellor"], post=post, text="Thank you.")
    assert queries() == few


def test_feed_refreshes_itself_on_action_notifications(
    personas: dict[str, Any], login: Any, posts: Any
) -> None:
    body = _feed(login, personas["convenor"], "?category=awareness")
    match = re.search(r'<div id="action-feed"([^>]*)>', body)
    assert match is not None
    attributes = match.group(1)
    assert 'hx-trigger="ftu:notify:action from:body"' in attributes
    assert 'hx-get="/actions/?category=awareness"' in attributes


def test_htmx_refresh_returns_the_list_fragment_only(
    personas: dict[str, Any], login: Any, posts: Any
) -> None:
    response = login(personas["media_member"]).get("/actions/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "PUBLIC-POST" in body and "PARTNER-ONLY-POST" not in body
    assert "HX-Request" in response["Vary"]


def test_nav_shows_actions_to_every_member(personas: dict[str, Any], login: Any) -> None:
    for key in ("media_member", "outsider", "convenor"):
        body = login(personas[key]).get("/").content.decode()
        assert 'href="/actions/"' in body, key


def test_detail_shows_discussion_to_partners_only(
    personas: dict[str, Any], login: Any, posts: Any
) -> None:
    from agencies.services_actions import action_comment

    action_comment(
        actor=personas["ngo_counsellor"], post=posts["public"], text="PARTNER-COMMENT good."
    )
    url = posts["public"].get_absolute_url()
    partner = login(personas["cwc_member"]).get(url).content.decode()
    assert "PARTNER-COMMENT" in partner and "SP Arvind Chauhan" in partner
    media = login(personas["media_member"]).get(url)
    assert media.status_code == 200
    body = media.content.decode()
    assert "PUBLIC-POST" in body
    assert "PARTNER-COMMENT" not in body and "SP Arvind Chauhan" not in body
    assert "/acknowledge/" not in body


def test_media_gets_404_on_a_partner_post_and_a_missing_one(
    personas: dict[str, Any], login: Any, posts: Any
) -> None:
    client = login(personas["media_member"])
    assert client.get(posts["partners"].get_absolute_url()).status_code == 404
    assert client.get("/actions/999999/").status_code == 404


def test_detail_query_count_does_not_grow_with_discussion(
    personas: dict[str, Any], login: Any
) -> None:
    from agencies.services_actions import action_acknowledge_toggle, action_comment
    from tests.agencies.actions_support import png_bytes, upload

    post = make_post(personas, files=[upload("a.png", png_bytes(), "image/png")])
    client = login(personas["convenor"])

    def queries() -> int:
        client.get(post.get_absolute_url())
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(post.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    action_comment(actor=personas["cwc_member"], post=post, text="Noted.")
    few = queries()
    for key in ("ahtu_officer", "wcd_officer", "shelter_staff", "mp_reviewer", "outsider"):
        action_acknowledge_toggle(actor=personas[key], post=post)
        action_comment(actor=personas[key], post=post, text="Thank you.")
    assert queries() == few
