"""Releases for data partners: versioned, checksummed, described dumps and what changed.

Public API: `make_release(ReleaseOptions(...)) -> ReleaseReport` writes a release directory (see
`kg.release.build`); `kg.release.layout` says where releases live and which files may be served.
"""

from __future__ import annotations

from kg.release.build import ReleaseOptions, ReleaseReport, kind_of_graph, make_release

__all__ = ["ReleaseOptions", "ReleaseReport", "kind_of_graph", "make_release"]
