"""SHACL validation of the curated Turtle: pyshacl's verdict, fast, located in the source files.

Public API (the CLI calls exactly these two functions):

- `validate_paths(paths, *, root, shapes_dir=None, ontology_paths=None) -> ValidationReport`
- `render(report, fmt) -> str` with fmt one of "text", "json", "sarif", "junit".
"""

from __future__ import annotations

from kg.validation.engine import validate_paths
from kg.validation.formats import render
from kg.validation.report import ValidationReport, ValidationResult

__all__ = ["ValidationReport", "ValidationResult", "render", "validate_paths"]
