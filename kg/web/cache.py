"""A result cache for the SPARQL endpoint, bounded in bytes, and the ETags derived from it.

The data changes only when `kg load` swaps stores, so an answer is reusable until then: the key is
(store version, normalised query, negotiated formats, graph parameters), and the ETag is a hash of
that key — two requests that would get the same bytes get the same ETag, and a store swap changes
every ETag. Queries whose answer differs between runs on the same data (RAND, NOW, UUID, STRUUID,
BNODE) are not cached and get an ETag of their body instead.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = [
    "CacheKey",
    "CachedAnswer",
    "ResultCache",
    "body_etag",
    "etag_matches",
    "is_deterministic",
    "normalise_query",
]

_VOLATILE = re.compile(r"(?i)\b(RAND|NOW|UUID|STRUUID|BNODE)\s*\(")
_ENTRY_OVERHEAD = 200  # bytes a cache entry costs besides its body and query text


@dataclass(frozen=True, slots=True)
class CacheKey:
    """Everything an answer depends on besides the store's contents."""

    store_version: str
    query: str
    solutions_format: str | None
    graph_format: str | None
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None

    def etag(self) -> str:
        """A strong ETag: the same for every request with this key, different after a swap."""
        digest = hashlib.sha256(repr(self).encode("utf-8", errors="surrogatepass")).hexdigest()
        return f'"{digest[:32]}"'


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A serialised answer as the cache keeps it."""

    media_type: str
    body: bytes


def normalise_query(text: str) -> str:
    """The query with line endings unified and surrounding/trailing blanks dropped.

    Only changes that cannot alter the meaning: blanks inside strings matter, and a line break
    ends a `#` comment, so nothing is collapsed.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def is_deterministic(query: str) -> bool:
    """False if the query calls a function whose value changes from one evaluation to the next."""
    return _VOLATILE.search(query) is None


def body_etag(key: CacheKey, body: bytes) -> str:
    """The ETag of an answer that is not cached: a hash of its key and its bytes."""
    digest = hashlib.sha256(key.etag().encode() + body).hexdigest()
    return f'"{digest[:32]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: `*` or any listed tag equal to `etag` (weak comparison)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


class ResultCache:
    """A thread-safe LRU of answers, bounded by `max_bytes`; entries of older stores are dropped.

    An answer bigger than a quarter of the bound is not kept: one huge dump would otherwise
    evict everything else for a result nobody is likely to repeat.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, CachedAnswer] = OrderedDict()
        self._size = 0
        self._version: str | None = None
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        """Bytes held now."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> CachedAnswer | None:
        """The cached answer for `key`, marked as recently used, or None."""
        with self._lock:
            answer = self._entries.get(key)
            if answer is not None:
                self._entries.move_to_end(key)
            return answer

    def put(self, key: CacheKey, answer: CachedAnswer) -> bool:
        """Keep `answer` under `key` unless too big; True if kept."""
        cost = _cost(key, answer)
        if cost > self.max_bytes // 4:
            return False
        with self._lock:
            if key.store_version != self._version:
                self._entries.clear()  # a new store: every older answer is stale
                self._size = 0
                self._version = key.store_version
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= _cost(key, old)
            self._entries[key] = answer
            self._size += cost
            while self._size > self.max_bytes:
                evicted_key, evicted = self._entries.popitem(last=False)
                self._size -= _cost(evicted_key, evicted)
            return True


def _cost(key: CacheKey, answer: CachedAnswer) -> int:
    """Approximate memory an entry holds."""
    return len(answer.body) + len(key.query) + _ENTRY_OVERHEAD
