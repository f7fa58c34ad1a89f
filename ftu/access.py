"""View decorators that enforce the access policy and declare it for the permission matrix.

Every view in the hub's URL patterns carries one of these; the permission-matrix test fails
on a pattern without a declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from ftu.policy import Access, Cap, can

V = TypeVar("V", bound=Callable[..., HttpResponse])


def requires(cap: Cap, *, sample: str | None = None, methods: tuple[str, ...] = ("GET",)):
    """Log-in required, then ``cap``.  Without it: 403 on a page, 404 on an object page.

    ``sample`` names the test fixture that builds the object behind the URL; object views
    must fetch through ``visible_to(user)`` so that an object outside it is a 404.
    """

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, cap):
                _record_refusal(request, "access.denied", kwargs)
                if sample is not None:
                    raise Http404
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except Http404:
                # Outside ``visible_to`` (or no such row): probing is worth knowing about.
                _record_refusal(request, "access.not_found", kwargs)
                raise
            except PermissionDenied:
                _record_refusal(request, "access.denied", kwargs)
                raise

        wrapper.ftu_access = Access(cap=cap, sample=sample, methods=methods)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def _record_refusal(request: HttpRequest, action: str, kwargs: dict[str, Any]) -> None:
    """Audit a refused request of a logged-in person (REFERENCE R30: failed authorisation).

    The view's name and its URL arguments (opaque ids) say what was asked for; a failing
    audit write fails the request (fail closed).
    """
    from ftu import audit
    from ftu.models import AuditEvent

    match = request.resolver_match
    view_name = match.view_name if match is not None else request.path
    audit.record(
        actor=request.user,
        action=action,
        object_type="url",
        object_id=view_name[:64],
        reason=" ".join(f"{k}={v}" for k, v in sorted(kwargs.items())),
        outcome=AuditEvent.Outcome.DENIED,
        request=request,
    )


def public(
    view: V | None = None, *, sample: str | None = None, methods: tuple[str, ...] = ("GET",)
) -> Any:
    """Reachable without logging in (health checks, invitation acceptance).

    ``@public`` or ``@public(sample="name")`` when the URL carries an argument (the matrix
    then builds it with that sample and expects 200 for everyone).
    """

    def decorator(v: V) -> V:
        v.ftu_access = Access(cap=None, public=True, sample=sample, methods=methods)  # type: ignore[attr-defined]
        return v

    return decorator(view) if view is not None else decorator


def ip_restricted(setting: str):
    """Reachable without logging in, but only from the addresses listed in ``setting``.

    For machine endpoints (Prometheus ``/metrics``): any other address gets a 404, as if
    the page did not exist.  Declared public for the permission matrix, whose test client
    comes from 127.0.0.1 (allowed in the embedded default, never in production unless
    listed).
    """

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            from django.conf import settings

            from ftu.proxy import address_in

            if not address_in(request.META.get("REMOTE_ADDR"), getattr(settings, setting)):
                raise Http404
            return view(request, *args, **kwargs)

        wrapper.ftu_access = Access(cap=None, public=True)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
