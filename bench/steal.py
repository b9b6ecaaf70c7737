"""How much CPU the hypervisor took from this machine while a section ran ("steal" time).

On a virtual machine other tenants' load shows up as steal: the kernel wanted to run but the
hypervisor gave the core to someone else. Both sides of a comparison run back to back, but steal
changes from minute to minute (we saw 0% and 30% within one run), so a figure measured under heavy
steal is noisier than the table alone tells; each section's rows carry the share in their notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuTimes", "cpu_times", "stolen_share"]

_PROC_STAT = Path("/proc/stat")


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """The machine's CPU time in clock ticks, all of it and the stolen part."""

    total: int
    steal: int


def cpu_times() -> CpuTimes | None:
    """The machine's CPU times now, or None where /proc/stat is not there (not Linux)."""
    try:
        first = _PROC_STAT.read_text(encoding="ascii").splitlines()[0].split()
    except (OSError, IndexError):
        return None
    # cpu user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
    ticks = [int(value) for value in first[1:9]]
    return CpuTimes(total=sum(ticks), steal=ticks[7] if len(ticks) > 7 else 0)


def stolen_share(before: CpuTimes | None, after: CpuTimes | None) -> float | None:
    """The share of the machine's CPU time stolen between two readings (None if unknown)."""
    if before is None or after is None or after.total <= before.total:
        return None
    return (after.steal - before.steal) / (after.total - before.total)
