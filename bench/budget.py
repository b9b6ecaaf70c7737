"""A time budget per command: skip a run that the previous size says would take too long.

At 10M triples some commands would run for hours on a 2-core machine (kg validate before its
engine is fast, kg release at today's rate). Rather than block the whole suite, each such command
records its measured seconds per triple at every size it runs; at the next size, if that rate times
the new size is over the budget, the run is skipped and its row says so — "not run: extrapolated
N s from SIZE is over the budget of B s" — so the reader sees a reason, never a silent hole.
Linear extrapolation is a floor for anything that grows faster than linearly.
"""

from __future__ import annotations

__all__ = ["Budget"]


class Budget:
    """Seconds one run of a command may take (None: unlimited), and what each has cost so far."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._rates: dict[str, tuple[float, str]] = {}

    def record(self, command: str, size: str, triples: int, seconds: float) -> None:
        """Remember `command`'s seconds per triple, measured at `size`."""
        if triples > 0:
            self._rates[command] = (seconds / triples, size)

    def estimate(self, command: str, triples: int) -> tuple[float, str] | None:
        """Extrapolated seconds of one run at `triples`, and the size it is extrapolated from."""
        if command not in self._rates:
            return None
        rate, size = self._rates[command]
        return rate * triples, size

    def skip_reason(self, command: str, triples: int) -> str | None:
        """Why `command` is not run at `triples` (None: run it)."""
        estimate = self.estimate(command, triples)
        if self.seconds is None or estimate is None or estimate[0] <= self.seconds:
            return None
        return (f"{command} not run: extrapolated {estimate[0]:,.0f} s per run from "
                f"{estimate[1]} is over the budget of {self.seconds:,.0f} s (--budget)")
