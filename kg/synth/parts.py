"""The small pieces every synthetic entity is made of: IRIs, citations, time spans, statements.

Everything here is a pure function of a `random.Random` and the `World` (the sizes and the
vocabularies), so the same seed always yields the same text.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Sequence
from dataclasses import dataclass

from kg.synth.turtle import Node, date, lang, plain, typed

__all__ = [
    "FLAW_KINDS",
    "FLAW_SHAPES",
    "World",
    "citation",
    "citations",
    "iri_of",
    "statement",
    "time_span",
]

# The deliberate violations `--violations` plants, one per flawed site; each breaks exactly one
# constraint of ontology/shapes/, so the validator must report exactly one result for it.
# Kind → the shape that must report it.
FLAW_SHAPES = {
    "missing-site-type": "hk:HeritageSiteShape",
    "missing-english-label": "hk:EnglishLabelShape",
    "geometry-out-of-range": "hk:GeometryShape",
    "reversed-time-span": "hk:TimeSpanShape",
    "deprecated-without-reason": "hk:DeprecatedStatementShape",
    "statement-without-citation": "hk:StatementShape",
    "wrong-object-type": "hk:StatementRangeShape",
    "contradicts-other-question": "hk:StatementLinkShape",
}
FLAW_KINDS = tuple(FLAW_SHAPES)

_DASH = "\u2013"  # the en dash of page and time ranges, as the curated data writes them
_PAGE_TYPES = frozenset({
    "book", "book-chapter", "article", "newspaper-article", "thesis", "periodical", "newspaper",
    "report", "travel-account", "chronicle",
})
_FOLIO_TYPES = frozenset({"archival-document", "official-document", "letter", "census"})
_PLATE_TYPES = frozenset({"image", "photograph", "postcard", "drawing", "painting"})
_TIME_TYPES = frozenset({"film", "video", "interview"})
_WEB_TYPES = frozenset({"website", "web-page", "dataset", "3d-model"})


@dataclass(frozen=True, slots=True)
class World:
    """What every builder needs: the seed, how many of each entity exist, the concept lists."""

    seed: int
    sites: int
    places: int
    people: int
    organizations: int
    sources: int
    media: int
    objects: int
    works: int
    concepts: dict[str, tuple[str, ...]]

    def rng(self, kind: str, index: int) -> random.Random:
        """The random stream of one entity: independent of generation order."""
        return random.Random(f"{self.seed}:{kind}:{index}")

    def source_type(self, index: int) -> str:
        """Source types rotate, so every type occurs as soon as there are enough sources."""
        types = self.concepts["source-type"]
        return types[index % len(types)]


def iri_of(prefix: str, kind: str, index: int) -> str:
    """A minted prefixed name of a synthetic entity, e.g. site:synth-site-12."""
    return f"{prefix}:synth-{kind}-{index}"


def _locator(rng: random.Random, source_type: str, node: Node) -> None:
    """A locator that fits the kind of source (page, folio, plate, timestamp, access date)."""
    if rng.random() < 0.3:
        return
    if source_type in _PAGE_TYPES:
        first = rng.randint(1, 480)
        if rng.random() < 0.3:
            node.add("hk:page", plain(f"{first}{_DASH}{first + rng.randint(1, 6)}"))
        else:
            node.add("hk:page", plain(str(first)))
    elif source_type == "encyclopedia-entry":
        node.add("hk:volume", plain(rng.choice(("I", "II", "III", "IV", "V", "VI"))))
        node.add("hk:page", plain(str(rng.randint(1, 900))))
    elif source_type in _FOLIO_TYPES:
        node.add("hk:folio", plain(f"{rng.randint(1, 240)}{rng.choice('rv')}"))
    elif source_type == "legal-act":
        node.add("hk:section", plain(str(rng.randint(1, 30))))
    elif source_type == "map":
        node.add("hk:sheet", plain(str(rng.randint(1, 60))))
    elif source_type in _PLATE_TYPES:
        node.add("hk:plate", plain(str(rng.randint(1, 120))))
    elif source_type in _TIME_TYPES:
        start = rng.randint(0, 5000)
        end = start + rng.randint(5, 300)
        node.add("hk:timestamp", plain(f"{_hms(start)}{_DASH}{_hms(end)}"))
    elif source_type in _WEB_TYPES:
        node.add("hk:accessedOn", date(rng.randint(2015, 2025), rng.randint(1, 12),
                                       rng.randint(1, 28)))
    else:
        node.add("hk:locator", plain(f"line {rng.randint(1, 20)}"))


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def citation(world: World, rng: random.Random, source: int | None = None) -> Node:
    """[ a hk:Citation ; hk:citedSource source:… ; a locator fitting the source's type ]."""
    index = rng.randrange(world.sources) if source is None else source
    node = Node().add("a", "hk:Citation").add("hk:citedSource", iri_of("source", "source", index))
    _locator(rng, world.source_type(index), node)
    if rng.random() < 0.05:
        node.add("hk:quotation", lang(f"Synthetic quotation {rng.randint(1, 10**6)}", "en"))
    return node


def citations(world: World, rng: random.Random) -> list[str | Node]:
    """One citation, sometimes two."""
    return [citation(world, rng) for _ in range(2 if rng.random() < 0.2 else 1)]


def time_span(rng: random.Random, low: int, high: int) -> Node:
    """[ a hk:TimeSpan ; hk:edtf … ; hk:earliest … ; hk:latest … ] in one of the EDTF forms."""
    year = rng.randint(low, high)
    form = rng.randrange(7)
    if form == 0:
        edtf, first, last, words = str(year), (year, 1, 1), (year, 12, 31), f"in {year}"
    elif form == 1:
        edtf, first, last, words = f"{year}~", (year - 5, 1, 1), (year + 5, 12, 31), f"c. {year}"
    elif form == 2:
        edtf, first, last, words = f"{year}?", (year, 1, 1), (year, 12, 31), f"{year} (?)"
    elif form == 3:
        decade = year // 10
        edtf, first, last = f"{decade}X", (decade * 10, 1, 1), (decade * 10 + 9, 12, 31)
        words = f"the {decade}0s"
    elif form == 4:
        end = year + rng.randint(1, 12)
        edtf, first, last = f"{year}/{end}", (year, 1, 1), (end, 12, 31)
        words = f"{year}{_DASH}{end}"
    elif form == 5:
        month = rng.randint(1, 12)
        days = calendar.monthrange(year, month)[1]
        edtf, first, last = f"{year}-{month:02d}", (year, month, 1), (year, month, days)
        words = f"{calendar.month_name[month]} {year}"
    else:
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        edtf, first, last = f"{year}-{month:02d}-{day:02d}", (year, month, day), (year, month, day)
        words = f"{day} {calendar.month_name[month]} {year}"
    node = Node().add("a", "hk:TimeSpan").add("hk:edtf", plain(edtf))
    node.add("hk:earliest", date(*first)).add("hk:latest", date(*last))
    node.add("hk:sourceWording", lang(words, "en"))
    if year > 700 and rng.random() < 0.15:
        hijri = round((year - 622) * 33 / 32)
        node.add("hk:calendar", "calendar:hijri-lunar")
        node.add("hk:originalDating", plain(f"{hijri} AH"))
    return node


def statement(
    world: World,
    rng: random.Random,
    subject: str,
    prop: str,
    obj: str | Node,
    *,
    rank: str = "normal",
    reason: str | None = None,
    certainty: str | None = None,
    attributed_to: Sequence[str] = (),
    valid_during: Node | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> Node:
    """A sourced hk:Statement about (`subject`, hk:`prop`) — the claim pattern of docs/spec.md."""
    node = Node().add("a", "hk:Statement").add("rdf:subject", subject)
    node.add("rdf:predicate", f"hk:{prop}").add("rdf:object", obj)
    node.add("hk:rank", f"rank:{rank}")
    if reason is not None:
        node.add("hk:deprecationReason", lang(reason, "en"))
    if certainty is not None:
        node.add("hk:certainty", f"certainty:{certainty}")
    node.add("hk:verification",
             "verification:verified" if rng.random() < 0.25 else "verification:unverified")
    node.add("prov:wasAttributedTo", *attributed_to)
    if rng.random() < 0.3:
        node.add("hk:assertedOn", typed(str(rng.randint(1900, 2024)), "xsd:gYear"))
    if valid_during is not None:
        node.add("hk:validDuring", valid_during)
    for predicate, target in links:
        node.add(predicate, target)
    node.add("prov:wasDerivedFrom", *citations(world, rng))
    return node
