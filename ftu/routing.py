"""Websocket routes of every app, gathered in one list for ftu.asgi."""

from __future__ import annotations

from notifications.routing import websocket_urlpatterns as notification_routes

websocket_urlpatterns = [*notification_routes]
