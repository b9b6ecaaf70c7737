"""heritage-kg: a knowledge graph of South Caucasus heritage in which every claim has a source."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
