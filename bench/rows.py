"""One row of the results table: a measured figure for our side and the other side."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Row", "read_rows", "write_rows"]


@dataclass(slots=True)
class Row:
    """`ours` vs `theirs` on one workload at one size; `ratio` is ours/theirs for a rate."""

    section: str
    size: str
    workload: str
    metric: str
    ours: float | None
    theirs: float | None
    ours_name: str
    theirs_name: str
    target: str = ""
    met: bool | None = None
    higher_is_better: bool = True
    theirs_estimated: bool = False  # `theirs` was extrapolated, not measured (plain pyshacl)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """ours / theirs (a rate) or theirs / ours (a time), so > 1 always means we are ahead."""
        if self.ours is None or self.theirs is None or self.ours == 0 or self.theirs == 0:
            return None
        return self.ours / self.theirs if self.higher_is_better else self.theirs / self.ours


def write_rows(rows: Sequence[Row], path: Path) -> None:
    """Keep a run's rows as JSON, so a later run of other sections can be reported with them."""
    path.write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n", encoding="utf-8")


def read_rows(path: Path) -> list[Row]:
    """Rows written by `write_rows`."""
    return [Row(**fields) for fields in json.loads(path.read_text(encoding="utf-8"))]
