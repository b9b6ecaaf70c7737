"""Compile the project's own modules to bytecode before anything is timed.

`make install` compiles the dependencies' bytecode (`uv sync --compile-bytecode`, as pip does by
default), but `kg` itself is installed editable, so its bytecode is written on first import — or
never, where `PYTHONDONTWRITEBYTECODE=1` is set (as on our development machines). Then every `kg`
command the suite times would recompile every kg module (~1 s of CPU per command, measured on
`kg validate`), a cost no installed deployment pays. Compiling explicitly writes the caches
whatever that variable says, so each timed command starts as it would when installed.
"""

from __future__ import annotations

import compileall

from bench.proc import ROOT

__all__ = ["compile_project"]


def compile_project() -> bool:
    """Write bytecode for kg/ and bench/; True when every module compiled."""
    return all(compileall.compile_dir(ROOT / package, quiet=1) for package in ("kg", "bench"))
