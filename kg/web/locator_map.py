"""A small locator map as inline SVG: no tiles, no network, works offline and prints.

The entity is a red dot among the other sites near it (each a link to its page), on a graticule
with degree labels and a scale bar, in an equirectangular projection corrected for latitude —
enough to see where a site lies relative to its neighbours, which is all a locator map is for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from kg.web.entity_view import Link, Point

__all__ = ["locator_map_svg"]

_WIDTH = 360
_HEIGHT = 280
_MARGIN = 24


@dataclass(frozen=True, slots=True)
class _Frame:
    west: float
    south: float
    east: float
    north: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = _MARGIN + (lon - self.west) / (self.east - self.west) * (_WIDTH - 2 * _MARGIN)
        y = _MARGIN + (self.north - lat) / (self.north - self.south) * (_HEIGHT - 2 * _MARGIN)
        return round(x, 1), round(y, 1)


def _frame(center: Point, others: list[tuple[Link, Point]]) -> _Frame:
    lons = [center.lon, *(p.lon for _, p in others)]
    lats = [center.lat, *(p.lat for _, p in others)]
    half_lon = max(0.05, max(abs(x - center.lon) for x in lons) * 1.15)
    half_lat = max(0.04, max(abs(y - center.lat) for y in lats) * 1.15)
    # keep the shape of the ground: a degree of longitude is cos(lat) degrees of latitude long
    aspect = (_WIDTH - 2 * _MARGIN) / (_HEIGHT - 2 * _MARGIN)
    scale = math.cos(math.radians(center.lat))
    half_lon = max(half_lon, half_lat * aspect / scale)
    half_lat = max(half_lat, half_lon * scale / aspect)
    return _Frame(center.lon - half_lon, center.lat - half_lat,
                  center.lon + half_lon, center.lat + half_lat)


def _step(span: float) -> float:
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0):
        if span / step <= 5:
            return step
    return 5.0


def locator_map_svg(center: Point, label: str, others: list[tuple[Link, Point]],
                    *, title: str) -> str:
    """An accessible SVG (role=img, title) plotting `center` among `others`."""
    frame = _frame(center, others)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="locator-map" role="img" '
        f'aria-labelledby="map-title" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'width="{_WIDTH}" height="{_HEIGHT}">',
        f'<title id="map-title">{escape(title)}: {escape(label)}</title>',
        f'<rect x="0" y="0" width="{_WIDTH}" height="{_HEIGHT}" class="map-bg"/>',
    ]
    step = _step(frame.east - frame.west)
    lon = math.ceil(frame.west / step) * step
    while lon <= frame.east:
        x, _ = frame.xy(lon, frame.south)
        parts.append(f'<line x1="{x}" y1="{_MARGIN}" x2="{x}" y2="{_HEIGHT - _MARGIN}" '
                     'class="graticule"/>')
        parts.append(f'<text x="{x}" y="{_HEIGHT - 8}" class="tick">{lon:.2f}°E</text>')
        lon += step
    lat = math.ceil(frame.south / step) * step
    while lat <= frame.north:
        _, y = frame.xy(frame.west, lat)
        parts.append(f'<line x1="{_MARGIN}" y1="{y}" x2="{_WIDTH - _MARGIN}" y2="{y}" '
                     'class="graticule"/>')
        parts.append(f'<text x="2" y="{y - 2}" class="tick">{lat:.2f}°N</text>')
        lat += step
    km_per_px = (frame.east - frame.west) * 111.32 * math.cos(math.radians(center.lat)) / (
        _WIDTH - 2 * _MARGIN)
    bar_km = next((k for k in (1, 2, 5, 10, 20, 50, 100) if k / km_per_px >= 40), 100)
    bar_px = round(bar_km / km_per_px, 1)
    parts.append(f'<line x1="{_WIDTH - _MARGIN - bar_px}" y1="{_MARGIN - 10}" '
                 f'x2="{_WIDTH - _MARGIN}" y2="{_MARGIN - 10}" class="scale"/>')
    parts.append(f'<text x="{_WIDTH - _MARGIN - bar_px}" y="{_MARGIN - 14}" class="tick">'
                 f'{bar_km} km</text>')
    for link, point in others:
        x, y = frame.xy(point.lon, point.lat)
        parts.append(f'<a href="{escape(link.href)}"><circle cx="{x}" cy="{y}" r="4" '
                     f'class="neighbour"><title>{escape(link.label)}</title></circle></a>')
    x, y = frame.xy(center.lon, center.lat)
    parts.append(f'<circle cx="{x}" cy="{y}" r="7" class="here"><title>{escape(label)}</title>'
                 '</circle>')
    parts.append("</svg>")
    return "".join(parts)
