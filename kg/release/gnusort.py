"""GNU sort and comm as the release's external sorter: byte order, bounded memory.

coreutils is on every machine kg targets; `sort -u` with a fixed buffer spills sorted runs to
disk and merges them, so memory stays flat however large the dump, and it runs in its own process
(the second core) while Python feeds it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SORT_BUFFER", "c_locale", "sort_command"]

SORT_BUFFER = "64M"
"""Memory GNU sort may use before it spills sorted runs to disk (flat memory as data grows)."""

def sort_command(work: Path) -> list[str]:
    """`sort -u` in byte order with a bounded buffer, spilling under `work`, on one thread."""
    return ["sort", "-u", "-S", SORT_BUFFER, "-T", str(work), "--parallel=1"]


def c_locale() -> dict[str, str]:
    """The environment for sort and comm: byte order, whatever the user's locale."""
    return {**os.environ, "LC_ALL": "C"}
