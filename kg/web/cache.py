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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

__all__ = [
    "CacheKey",
    "CachedAnswer",
    "ResultCache",
    "VersionedLru",
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


class _Versioned(Protocol):
    """A cache key that names the store version its value was computed on."""

    @property
    def store_version(self) -> str: ...


K = TypeVar("K", bound=_Versioned)
V = TypeVar("V")


class VersionedLru(Generic[K, V]):
    """A thread-safe LRU bounded by `max_bytes`; entries of older store versions are dropped.

    A value costing more than a quarter of the bound is not kept: one huge answer would otherwise
    evict everything else for a result nobody is likely to repeat. `hits` and `misses` count
    `get` calls, for the metrics.
    """

    def __init__(self, max_bytes: int, cost: Callable[[K, V], int]) -> None:
        self.max_bytes = max_bytes
        self._cost = cost
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._size = 0
        self._version: str | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def size_bytes(self) -> int:
        """Bytes held now."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value under `key`, marked as recently used, or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> bool:
        """Keep `value` under `key` unless too big; True if kept."""
        cost = self._cost(key, value)
        if cost > self.max_bytes // 4:
            return False
        with self._lock:
            if key.store_version != self._version:
                self._entries.clear()  # a new store: every older value is stale
                self._size = 0
                self._version = key.store_version
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= self._cost(key, old)
            self._entries[key] = value
            self._size += cost
            while self._size > self.max_bytes:
                evicted_key, evicted = self._entries.popitem(last=False)
                self._size -= self._cost(evicted_key, evicted)
            return True


class ResultCache(VersionedLru[CacheKey, CachedAnswer]):
    """The endpoint's answers by `CacheKey`."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, _cost)


def _cost(key: CacheKey, answer: CachedAnswer) -> int:
    """Approximate memory an entry holds."""
    return len(answer.body) + len(key.query) + _ENTRY_OVERHEAD
