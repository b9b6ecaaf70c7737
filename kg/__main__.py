"""`python -m kg` runs the same CLI as the `kg` console script."""

from __future__ import annotations

from kg.cli import app

if __name__ == "__main__":
    app(prog_name="kg")
