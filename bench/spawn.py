"""`python -S bench/spawn.py REPORT -- COMMAND…`: run COMMAND; write its seconds and peak RSS.

Why a middleman: Linux records a process's peak resident memory across `exec`, starting from the
memory of the process it was forked from. A command the suite starts directly therefore "peaks"
at least at the suite's own size (measured: `/bin/true` reported 514 MB when forked from a Python
holding 500 MB), which floors every small figure and grows as the suite holds more. This script is
started with `-S` (no site-packages: a ~10 MB interpreter), spawns COMMAND from there, waits for it
with `wait4` (the kernel's own peak of COMMAND and the children it waited for) and writes
`{"seconds", "peak_rss_kb", "returncode"}` as JSON to REPORT. Standard streams pass through.
Standard library only: it runs without the project's environment.
"""

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    """Run the command after `--`; report; exit with its exit status."""
    report, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: spawn.py REPORT -- COMMAND…")
    started = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    with open(report, "w", encoding="utf-8") as out:
        json.dump({"seconds": seconds, "peak_rss_kb": usage.ru_maxrss, "returncode": returncode},
                  out)
    return returncode if returncode >= 0 else 128 - returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
