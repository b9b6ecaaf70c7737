"""Render a ValidationReport as text, JSON, SARIF 2.1.0 or JUnit XML (work in progress)."""

from __future__ import annotations

from typing import Literal

from kg.validation.report import ValidationReport

__all__ = ["Format", "render"]

Format = Literal["text", "json", "sarif", "junit"]


def render(report: ValidationReport, fmt: Format) -> str:
    """Return the report in the requested format."""
    raise NotImplementedError(fmt)
