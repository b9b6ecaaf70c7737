"""Rendered pages, cached by what they depend on, and their ETags — known before any work.

A page is a pure function of (store version, path, negotiated variant, the other query
parameters) and of this server's templates and interface texts. The ETag is a hash of exactly
that, so a conditional request (`If-None-Match`) is answered 304 from the request alone: no query,
no rendering, no cache look-up. The variant is the format name, plus the reader's language for
HTML (other formats do not depend on it). The templates, catalogues and stylesheet are hashed
once per process (`code_token`), so a server restarted with different templates gives new ETags
even on the same store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from kg.web.cache import VersionedLru

__all__ = ["PageCache", "PageKey", "RenderedPage", "code_token"]

_WEB_DIR: Final = Path(__file__).resolve().parent
_ENTRY_OVERHEAD = 300  # bytes an entry costs besides its body and key


@cache
def code_token() -> str:
    """A hash of everything besides the data that shapes a page (read once per process)."""
    digest = hashlib.sha256()
    for folder in ("templates", "i18n", "static"):
        for path in sorted((_WEB_DIR / folder).rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(_WEB_DIR).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class PageKey:
    """Everything a page's bytes depend on besides the server's code."""

    store_version: str
    path: str
    variant: str  # "html/en", "ttl", "jsonld"…
    params: str  # the query string without `lang` (the page's language switch repeats it)

    def etag(self) -> str:
        """A strong ETag: the same for every request with this key, new after a store swap."""
        text = f"{code_token()}\n{self.store_version}\n{self.path}\n{self.variant}\n{self.params}"
        digest = hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
        return f'"p{digest[:31]}"'


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page's bytes as sent: body and media type (with charset, if any)."""

    media_type: str
    body: bytes


def _cost(key: PageKey, page: RenderedPage) -> int:
    return len(page.body) + len(key.path) + len(key.params) + _ENTRY_OVERHEAD


class PageCache(VersionedLru[PageKey, RenderedPage]):
    """Rendered pages of the live store version, bounded in bytes; `not_modified` counts 304s."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, _cost)
        self.not_modified = 0

    def count_not_modified(self) -> None:
        """Count one request answered 304 from its ETag alone."""
        with self._lock:
            self.not_modified += 1
