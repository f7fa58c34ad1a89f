"""Pages of the actions feed: the feed, a post, posting, acknowledging, commenting, files."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import selectors_actions as selectors
from agencies import services_actions as services
from agencies.filters_actions import ActionFeedFilter
from agencies.forms_actions import (
    ActionCommentForm,
    ActionPostForm,
    ActionWithdrawForm,
    place_suggestions,
)
from agencies.models_actions import ActionPost
from ftu.access import requires
from ftu.policy import Cap, can

PAGE_SIZE = 20


def _show_form_errors(form: object, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None  # type: ignore[attr-defined]
            for error in errors:
                form.add_error(target, error)  # type: ignore[attr-defined]
    else:
        for message in exc.messages:
            form.add_error(None, message)  # type: ignore[attr-defined]


@requires(Cap.ACTION_FEED)
@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    filterset = ActionFeedFilter(
        request.GET, queryset=selectors.action_feed(request.user), request=request
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "can_post": can(request.user, Cap.ACTION_POST),
        "is_partner": can(request.user, Cap.ACTION_PARTNER),
    }
    # A notification of group "action" makes htmx fetch this URL again: answer the list only.
    template = (
        "agencies/actions/_feed_list.html"
        if getattr(request, "htmx", False)
        else "agencies/actions/feed.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@requires(Cap.ACTION_POST, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def post_new(request: HttpRequest) -> HttpResponse:
    organisations = services.posting_organisations(request.user).order_by("name")
    form = ActionPostForm(request.POST or None, request.FILES or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.action_post(
                actor=request.user,
                organisation=data["organisation"],
                category=data["category"],
                date=data["date"],
                place=data["place"],
                text=data["text"],
                visibility=data["visibility"],
                files=data["files"],
            )
        except ValidationError as exc:
            _show_form_errors(form, exc)
        else:
            messages.success(request, _("Your action is posted."))
            return redirect(post)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "agencies/actions/new.html",
        {"form": form, "places": place_suggestions()},
        status=status,
    )


@requires(Cap.ACTION_FEED, sample="action_post")
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, pk)


def _render_detail(
    request: HttpRequest,
    pk: int,
    *,
    comment_form: ActionCommentForm | None = None,
    withdraw_form: ActionWithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    is_partner = can(request.user, Cap.ACTION_PARTNER)
    post = selectors.action_detail(request.user, pk, with_discussion=is_partner)
    return render(
        request,
        "agencies/actions/detail.html",
        {
            "post": post,
            "is_partner": is_partner,
            "can_acknowledge": is_partner and post.author_id != request.user.pk,
            "can_withdraw": services.can_withdraw(request.user, post),
            "comment_form": comment_form or ActionCommentForm(),
            "withdraw_form": withdraw_form or ActionWithdrawForm(),
        },
        status=status,
    )


def _visible_post(request: HttpRequest, pk: int) -> ActionPost:
    return get_object_or_404(ActionPost.objects.visible_to(request.user), pk=pk)


@requires(Cap.ACTION_PARTNER, methods=("POST",))
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    post = _visible_post(request, pk)
    try:
        on = services.action_acknowledge_toggle(actor=request.user, post=post)
    except ValidationError as exc:
        raise PermissionDenied(" ".join(exc.messages)) from None
    messages.success(
        request, _("You acknowledged this action.") if on else _("Acknowledgement taken back.")
    )
    return redirect(post)


@requires(Cap.ACTION_PARTNER, methods=("POST",))
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    post = _visible_post(request, pk)
    form = ActionCommentForm(request.POST)
    if form.is_valid():
        try:
            services.action_comment(actor=request.user, post=post, text=form.cleaned_data["text"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                exc = ValidationError([e for errors in exc.error_dict.values() for e in errors])
            _show_form_errors(form, exc)
        else:
            messages.success(request, _("Your comment is posted."))
            return redirect(post)
    return _render_detail(request, pk, comment_form=form, status=400)


@requires(Cap.ACTION_FEED, methods=("POST",))
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    post = _visible_post(request, pk)
    if not services.can_withdraw(request.user, post):
        raise PermissionDenied
    form = ActionWithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.action_withdraw(
                actor=request.user, post=post, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _show_form_errors(form, exc)
        else:
            messages.success(request, _("The post is withdrawn and its files are erased."))
            return redirect("actions:feed")
    return _render_detail(request, pk, withdraw_form=form, status=400)


@requires(Cap.ACTION_FEED, sample="action_attachment")
@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve a stored copy to someone who may read its post: as a download, in a sandbox."""
    item = selectors.attachment_for_download(request.user, pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=item.download_name,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if opened in the site's origin, the file runs no script and reaches nothing.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response
