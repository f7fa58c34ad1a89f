"""The invitation link: the only way into the hub (there is no open sign-up)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from agencies import services
from agencies.forms import AcceptInvitationForm
from ftu.access import public


def _no_referrer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The token is in this page's URL: never send it on, not even to our own pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


@public(sample="invitation_link", methods=("GET", "POST"))
@never_cache
@_no_referrer
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationUnusable as exc:
        if request.method == "POST":  # not on GET: mail scanners open links too
            services.invitation_refused(exc, actor=request.user)
        return render(
            request, "agencies/join_unusable.html", {"message": exc.message}, status=exc.status
        )
    logged_in = request.user.is_authenticated
    form = (
        None
        if logged_in
        else AcceptInvitationForm(request.POST or None, initial={"full_name": invitation.full_name})
    )
    if request.method == "POST" and (logged_in or (form is not None and form.is_valid())):
        try:
            services.invitation_accept(
                token=token,
                actor=request.user if logged_in else None,
                full_name="" if form is None else form.cleaned_data["full_name"],
                password="" if form is None else form.cleaned_data["password1"],
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        except services.InvitationUnusable as exc:
            return render(
                request, "agencies/join_unusable.html", {"message": exc.message}, status=exc.status
            )
        except ValidationError as exc:
            if form is not None and exc.messages and not hasattr(exc, "error_dict"):
                # Password validators speak about the password; other refusals about the link.
                form.add_error("password1" if _is_password_error(exc) else None, exc)
            elif form is not None:
                form.add_error(None, exc)
            else:
                messages.error(request, " ".join(exc.messages))
        else:
            if logged_in:
                messages.success(
                    request, _("You have joined %(org)s.") % {"org": invitation.organisation}
                )
                return redirect("home")
            messages.success(
                request,
                _("Your account is ready. Log in with your e-mail address and new password."),
            )
            return redirect("account_login")
    return render(
        request,
        "agencies/join.html",
        {
            "invitation": invitation,
            "form": form,
            "other_account": logged_in and request.user.email.lower() != invitation.email.lower(),
        },
    )


def _is_password_error(exc: ValidationError) -> bool:
    return any((e.code or "").startswith("password") for e in exc.error_list)
