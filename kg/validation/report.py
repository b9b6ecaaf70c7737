"""The validation report: what `kg validate` found, independent of how it is shown.

The engine fills it and the formats render it; keeping it a plain value object means the CLI, the
tests and any future web page read the same thing, and the comparison with plain pyshacl works on
the raw rdflib terms kept alongside the display strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib.term import Node

__all__ = ["ValidationReport", "ValidationResult"]


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """One SHACL validation result, with the place in the Turtle source where it belongs.

    `file` is None (and `line`/`column` 0) only when the focus node is written in no file that was
    validated (e.g. a node that appears only in the ontology's closure); the engine never guesses.
    The `*_term` fields keep the rdflib terms so results can be compared with pyshacl's own.
    """

    file: Path | None
    line: int
    column: int
    severity: str
    focus_node: str
    path: str | None
    value: str | None
    source_shape: str
    constraint_component: str
    message: str
    focus_term: Node = field(compare=False, repr=False)
    path_term: Node | None = field(compare=False, repr=False)
    value_term: Node | None = field(compare=False, repr=False)
    source_shape_term: Node = field(compare=False, repr=False)
    severity_term: Node = field(compare=False, repr=False)
    constraint_component_term: Node = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """All results of one run; `conforms` is pyshacl's verdict, `files` what was validated."""

    conforms: bool
    results: tuple[ValidationResult, ...]
    files: tuple[Path, ...]
    root: Path
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def by_file(self) -> dict[Path | None, list[ValidationResult]]:
        """Group results by file (files in validation order, unlocated results last)."""
        groups: dict[Path | None, list[ValidationResult]] = {}
        for result in sorted(self.results, key=_sort_key):
            groups.setdefault(result.file, []).append(result)
        return groups


def _sort_key(result: ValidationResult) -> tuple[int, str, int, int, str, str, str]:
    return (
        result.file is None,
        str(result.file or ""),
        result.line,
        result.column,
        result.focus_node,
        result.path or "",
        result.constraint_component,
    )
