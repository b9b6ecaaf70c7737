"""One row of the results table: a measured figure for our side and the other side."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Row"]


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
    notes: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """ours / theirs (a rate) or theirs / ours (a time), so > 1 always means we are ahead."""
        if self.ours is None or self.theirs is None or self.ours == 0 or self.theirs == 0:
            return None
        return self.ours / self.theirs if self.higher_is_better else self.theirs / self.ours
