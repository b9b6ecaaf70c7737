"""The request body bound: 413 before a large body is read, whether or not it declares its size.

A pure ASGI middleware, so the check happens as bytes arrive: a `Content-Length` above the limit
is answered at once without reading the body; a chunked body is counted while it streams and
refused as soon as it passes the limit. Requests without a body, or with a declared length within
the limit, pass straight through (most requests: GETs). Handlers can then read bodies without
further checks.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit"]


class _TooLarge(Exception):
    """Raised inside `receive` when a streamed body passes the limit."""


class BodySizeLimit:
    """Refuse request bodies larger than `max_bytes` with 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what actually arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        unknown_length = False
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    unknown_length = True
                    continue
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
            elif name == b"transfer-encoding":
                unknown_length = True
        if not unknown_length:
            # No body, or one whose declared length (the HTTP parser delivers no more than it
            # declares) is within the bound: nothing to count, so no wrapping of every message.
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        """Send the 413 answer (JSON, like the app's other errors)."""
        body = json.dumps(
            {
                "error": "RequestTooLargeError",
                "status": 413,
                "message": f"The request body is larger than {self.max_bytes} bytes "
                "(KG_MAX_REQUEST_BYTES).",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
