"""The live build for each request, found with one `readlink` while the `current` link stays put.

`kg.store.require_store` checks the link thoroughly (is it a link, does the build exist) with
half a dozen system calls and path resolutions — about a tenth of the CPU time of a cache-missing
look-up on /sparql. The web process asks on every request, and the answer changes only when
`kg load` renames the link; so the link's target is read (one system call) and the thorough check
runs only when the target differs from the last one seen. A build is never reused under the same
name and is removed only after `current` points elsewhere, so an unchanged target is still live.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from kg.store import CURRENT_LINK, require_store

__all__ = ["LiveBuild"]


class LiveBuild:
    """`require_store(store_dir)` with the last answer kept while the link is unchanged."""

    def __init__(self, store_dir: Path) -> None:
        self.store_dir = store_dir
        self._link = str(store_dir / CURRENT_LINK)
        self._lock = threading.Lock()
        self._last: tuple[str, Path] | None = None

    def current(self) -> Path:
        """The live build directory; `StoreNotBuiltError` if there is none."""
        try:
            target = os.readlink(self._link)
        except OSError:
            return require_store(self.store_dir)  # no link (yet): the thorough check says why
        last = self._last
        if last is not None and last[0] == target:
            return last[1]
        build = require_store(self.store_dir)
        with self._lock:
            self._last = (target, build)
        return build
