"""Reading SPARQL Protocol requests: parameters from the URL and the body, strictly.

Shared by `/sparql` and `/update`. The protocol's rules enforced here: a body is either
`application/x-www-form-urlencoded` or the operation's own media type (anything else, or no
Content-Type at all, is refused); the text must be UTF-8 (a `charset` other than UTF-8 is refused,
and so are bytes that do not decode); an operation parameter appears exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.requests import Request

from kg.errors import ProtocolError, UnsupportedMediaTypeError

__all__ = ["FORM", "Params", "media_type_of", "read_params"]

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Params:
    """Every parameter of a request (URL first, then form body), and a direct-POST text."""

    values: dict[str, list[str]] = field(default_factory=dict)
    direct_text: str | None = None

    def all(self, name: str) -> list[str]:
        """Every value of `name`, in order."""
        return self.values.get(name, [])

    def one(self, name: str) -> str | None:
        """The value of `name`; `ProtocolError` if it is given more than once."""
        found = self.all(name)
        if len(found) > 1:
            raise ProtocolError(f"The {name} parameter is given {len(found)} times; give it once.")
        return found[0] if found else None


def _parse_form(text: str) -> dict[str, list[str]]:
    """Form or URL parameters, keeping repeats and blank values; escapes must decode as UTF-8."""
    try:
        return parse_qs(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"A parameter is not valid UTF-8 once %-decoded ({exc.reason})."
        ) from None


def _decode(body: bytes, charset: str | None, what: str) -> str:
    """The body as text; only UTF-8 (or US-ASCII, its subset) is accepted."""
    if charset is not None and charset.lower().strip('"') not in ("utf-8", "utf8", "us-ascii"):
        raise UnsupportedMediaTypeError(f"The {what} must be UTF-8, not charset={charset}.")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"The {what} is not valid UTF-8 ({exc.reason} at byte {exc.start})."
        ) from None


def media_type_of(header: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type header."""
    if not header:
        return None, None
    media, *params = (part.strip() for part in header.split(";"))
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip()
    return media.lower(), charset


def _query_string(request: Request) -> str:
    """`request.url.query` without building the whole URL (a few percent of a look-up's CPU).

    The raw query string is what `request.url.query` gives unless it has characters that URL
    splitting treats specially (`#`, tabs and line breaks, other control characters): those,
    never sent by ordinary clients, take the exact slow path.
    """
    query = bytes(request.scope.get("query_string", b"")).decode()
    if "#" in query or not query.isprintable():
        return request.url.query
    return query


async def read_params(request: Request, *, direct_type: str, what: str) -> Params:
    """Parameters of a GET, or of a POST in form encoding or as `direct_type` (the text itself).

    A POST in any other media type is refused with 415; a POST without Content-Type is refused
    too (the protocol requires it, and guessing would accept mislabelled data).
    """
    values = _parse_form(_query_string(request))
    if request.method != "POST":
        return Params(values)
    media_type, charset = media_type_of(request.headers.get("content-type"))
    body = await request.body()
    if media_type == FORM:
        for name, found in _parse_form(_decode(body, charset, f"{what} form")).items():
            values.setdefault(name, []).extend(found)
        return Params(values)
    if media_type == direct_type:
        return Params(values, direct_text=_decode(body, charset, what))
    if media_type is None:
        raise UnsupportedMediaTypeError(
            f"A POSTed {what} needs a Content-Type: {FORM} or {direct_type}."
        )
    raise UnsupportedMediaTypeError(
        f"Content-Type {media_type} is not accepted here; use {FORM} or {direct_type}."
    )
