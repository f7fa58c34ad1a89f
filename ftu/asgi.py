"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets pass the Origin allow-list (ALLOWED_HOSTS) before the session is read, so a
page on another site cannot open a socket with the user's cookies.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ftu.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from ftu.routing import websocket_urlpatterns  # noqa: E402
from notifications import ticker  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    # The embedded default has no beat: the first request starts the minute ticker in this
    # process (once; off in production, with a real worker, and in tests).
    if not ticker.started:
        ticker.start()
    return await router(scope, receive, send)
