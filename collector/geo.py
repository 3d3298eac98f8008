"""Where to put a site on the map when its kit has no GNSS fix: inside its province.

The shipped outlines (``static/provinces.geojson``, see docs/operations.md) give the
newer Papua provinces the codes 91/92 of the provinces they were split from; they
are mapped by name to their official codes. A site's fallback point is chosen
deterministically from its TPS code (the same code always lands on the same spot),
spread over the province's largest land area so that the sites of one province do
not all sit on one pixel, and always inside the outline (point-in-polygon tested).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pantau.core.sites import PROVINCES

#: The dataset names whose code is not the official one.
_BY_NAME = {
    "Papua Selatan": "93",
    "Papua Tengah": "94",
    "Papua Pegunungan": "95",
    "Papua Barat Daya": "96",
}

Ring = list[tuple[float, float]]  # (lon, lat) pairs, closed or not
Polygon = list[Ring]  # outer ring, then holes


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name: str
    polygons: tuple[Polygon, ...]
    largest: Polygon
    bbox: tuple[float, float, float, float]  # of the largest polygon: lon0, lat0, lon1, lat1
    anchor: tuple[float, float]  # (lat, lon), a point inside the largest polygon


def official_code(properties: dict[str, Any]) -> str:
    name = str(properties.get("PROVINSI", ""))
    return _BY_NAME.get(name, str(properties.get("KODE_PROV", "")))


def _ring_area(ring: Ring) -> float:
    total = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def in_polygon(lon: float, lat: float, polygon: Polygon) -> bool:
    if not polygon or not _in_ring(lon, lat, polygon[0]):
        return False
    return not any(_in_ring(lon, lat, hole) for hole in polygon[1:])


def contains(province: Province, lat: float, lon: float) -> bool:
    return any(in_polygon(lon, lat, p) for p in province.polygons)


def _unit(seed: bytes, i: int) -> tuple[float, float]:
    digest = hashlib.sha256(seed + i.to_bytes(4, "big")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64, int.from_bytes(digest[8:16], "big") / 2**64


def _anchor(polygon: Polygon) -> tuple[float, float]:
    """A point inside: the grid point farthest from nothing in particular, but inside.

    Scans ever finer grids over the bounding box and returns the inside point nearest
    the centre of the box (a stable choice for any shape).
    """
    xs = [x for x, _ in polygon[0]]
    ys = [y for _, y in polygon[0]]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    for steps in (8, 32, 128, 512):
        best: tuple[float, float, float] | None = None
        for i in range(steps + 1):
            for j in range(steps + 1):
                x = x0 + (x1 - x0) * (i + 0.5) / (steps + 1)
                y = y0 + (y1 - y0) * (j + 0.5) / (steps + 1)
                if in_polygon(x, y, polygon):
                    d = (x - cx) ** 2 + (y - cy) ** 2
                    if best is None or d < best[0]:
                        best = (d, y, x)
        if best is not None:
            return best[1], best[2]
    # A sliver too thin for the grid: the midpoint of an edge's neighbourhood.
    (ax, ay), (bx, by) = polygon[0][0], polygon[0][1]
    return (ay + by) / 2, (ax + bx) / 2


@cache
def provinces() -> dict[str, Province]:
    """The shipped outlines by official province code."""
    text = (
        resources.files("collector.web")
        .joinpath("static", "provinces.geojson")
        .read_text(encoding="utf-8")
    )
    data = json.loads(text)
    out: dict[str, Province] = {}
    for feature in data["features"]:
        code = official_code(feature["properties"])
        geometry = feature["geometry"]
        raw = (
            [geometry["coordinates"]]
            if geometry["type"] == "Polygon"
            else list(geometry["coordinates"])
        )
        polygons = tuple(
            [[(float(pt[0]), float(pt[1])) for pt in ring] for ring in polygon] for polygon in raw
        )
        largest = max(polygons, key=lambda p: _ring_area(p[0]))
        xs = [x for x, _ in largest[0]]
        ys = [y for _, y in largest[0]]
        out[code] = Province(
            code=code,
            name=PROVINCES.get(code, str(feature["properties"].get("PROVINSI", code))),
            polygons=polygons,
            largest=largest,
            bbox=(min(xs), min(ys), max(xs), max(ys)),
            anchor=_anchor(largest),
        )
    return out


@cache
def fallback_point(site_code: str) -> tuple[float, float] | None:
    """(lat, lon) inside the site's province (from its first two digits), or None if
    the code names no known province."""
    province = provinces().get(site_code[:2])
    if province is None:
        return None
    lon0, lat0, lon1, lat1 = province.bbox
    seed = site_code.encode()
    for i in range(64):
        u, v = _unit(seed, i)
        lon = round(lon0 + (lon1 - lon0) * u, 5)
        lat = round(lat0 + (lat1 - lat0) * v, 5)
        if in_polygon(lon, lat, province.largest):
            return lat, lon
    return province.anchor
