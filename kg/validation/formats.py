"""Render a ValidationReport as text, JSON, SARIF 2.1.0 or JUnit XML.

Text is for people at a terminal (grouped by file, `file:line:column` first so editors can jump);
JSON is a stable schema for scripts; SARIF is what code-scanning UIs annotate pull requests with;
JUnit is what most CI systems turn into a test summary. All four carry the same results in the
same order (file, line, column, focus node, path, constraint component).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Literal

from kg.validation.report import ValidationReport, ValidationResult

__all__ = ["FORMATS", "JSON_SCHEMA_VERSION", "Format", "render"]

Format = Literal["text", "json", "sarif", "junit"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif", "junit")
JSON_SCHEMA_VERSION = 1
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"sh:Violation": "error", "sh:Warning": "warning", "sh:Info": "note"}


def render(report: ValidationReport, fmt: Format) -> str:
    """Return the report in the requested format (a string ending in a newline)."""
    if fmt == "text":
        return _text(report)
    if fmt == "json":
        return json.dumps(_json(report), ensure_ascii=False, indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(_sarif(report), ensure_ascii=False, indent=2) + "\n"
    if fmt == "junit":
        return _junit(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _where(report: ValidationReport, path: Path | None) -> str:
    """The file as a maintainer types it: relative to the project root when inside it."""
    if path is None:
        return "(not written in any validated file)"
    if os.sep == "/":  # what relative_to gives, without pathlib's parsing (10,000 files)
        text, root = str(path), str(report.root)
        inside = root if root.endswith("/") else root + "/"
        if text.startswith(inside):
            return text[len(inside) :]
        if text != root:
            return text
    try:
        return path.relative_to(report.root).as_posix()
    except ValueError:
        return str(path)


def _ordered(report: ValidationReport) -> list[tuple[str, list[ValidationResult]]]:
    return [(_where(report, path), results) for path, results in report.by_file().items()]


def _text(report: ValidationReport) -> str:
    lines: list[str] = []
    for where, results in _ordered(report):
        lines.append(where)
        for r in results:
            lines.append(f"  {where}:{r.line}:{r.column}: {r.severity.removeprefix('sh:')}")
            lines.append(f"    focus node: {r.focus_node}")
            if r.path is not None:
                lines.append(f"    path:       {r.path}")
            if r.value is not None:
                lines.append(f"    value:      {r.value}")
            lines.append(f"    constraint: {r.constraint_component} (shape {r.source_shape})")
            lines.append(f"    message:    {r.message}")
        lines.append("")
    files = len(report.files)
    if report.conforms:
        lines.append(f"Conforms: {files} file(s) checked, no violations.")
    else:
        touched = sum(1 for path in report.by_file() if path is not None)
        lines.append(
            f"Does not conform: {len(report.results)} result(s) in {touched} file(s) "
            f"({files} file(s) checked)."
        )
    return "\n".join(lines) + "\n"


def _result_json(report: ValidationReport, r: ValidationResult) -> dict[str, Any]:
    return {
        "file": None if r.file is None else _where(report, r.file),
        "line": r.line,
        "column": r.column,
        "severity": r.severity,
        "focusNode": r.focus_node,
        "path": r.path,
        "value": r.value,
        "sourceShape": r.source_shape,
        "constraintComponent": r.constraint_component,
        "message": r.message,
    }


def _json(report: ValidationReport) -> dict[str, Any]:
    return {
        "schemaVersion": JSON_SCHEMA_VERSION,
        "conforms": report.conforms,
        "filesChecked": [_where(report, p) for p in report.files],
        "resultCount": len(report.results),
        "results": [_result_json(report, r) for _, results in _ordered(report) for r in results],
    }


def _sarif(report: ValidationReport) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    sarif_results: list[dict[str, Any]] = []
    for _, results in _ordered(report):
        for r in results:
            rule_id = r.source_shape
            if rule_id not in rules:
                rules[rule_id] = {
                    "id": rule_id,
                    "name": r.constraint_component.removeprefix("sh:"),
                    "shortDescription": {"text": f"SHACL shape {rule_id}"},
                }
            entry: dict[str, Any] = {
                "ruleId": rule_id,
                "ruleIndex": list(rules).index(rule_id),
                "level": _SARIF_LEVEL.get(r.severity, "error"),
                "message": {"text": _sarif_message(r)},
                "properties": {
                    "focusNode": r.focus_node,
                    "path": r.path,
                    "value": r.value,
                    "constraintComponent": r.constraint_component,
                },
            }
            if r.file is not None:
                entry["locations"] = [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _where(report, r.file)},
                            "region": {"startLine": r.line, "startColumn": r.column},
                        }
                    }
                ]
            sarif_results.append(entry)
    return {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "kg validate", "rules": list(rules.values())}},
                "results": sarif_results,
            }
        ],
    }


def _sarif_message(r: ValidationResult) -> str:
    detail = f"{r.focus_node}"
    if r.path is not None:
        detail += f" {r.path}"
    if r.value is not None:
        detail += f" {r.value}"
    return f"{r.message} ({detail})"


def _junit(report: ValidationReport) -> str:
    groups = dict(report.by_file())
    failures = len(report.results)
    suite = ET.Element(
        "testsuite",
        {
            "name": "kg validate",
            "tests": str(len(report.files) + (1 if None in groups else 0)),
            "failures": str(failures),
            "errors": "0",
        },
    )
    names = [(_where(report, p), groups.get(p, [])) for p in report.files]
    names += [(_where(report, p), rs) for p, rs in groups.items() if p not in report.files]
    for name, results in names:
        case = ET.SubElement(suite, "testcase", {"classname": "kg.validate", "name": name})
        for r in results:
            failure = ET.SubElement(
                case,
                "failure",
                {"message": r.message, "type": r.constraint_component},
            )
            failure.text = (
                f"{name}:{r.line}:{r.column}: {r.severity} {r.focus_node}"
                + (f" {r.path}" if r.path else "")
                + (f" {r.value}" if r.value else "")
                + f" ({r.source_shape})"
            )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )
