"""A synthetic city for benchmarks and tests: any number of buildings on a street grid, in seconds.

Real files stop at 13,896 buildings; a wall that shows a whole city must also cope with 100,000.
The shapes are what real footprints throw at the triangulator: rectangles, L-shapes, courtyards
(a hole), and star-shaped 5-12-gons with reflex corners, their rings wound either way as real
data has them. Rows look like the store's buildings table, so they go through the same path.
"""

from __future__ import annotations

import math

import numpy as np

from console.scene.frame import Frame

LOT_M = 32.0  # one building per lot
BLOCK_LOTS = (4, 3)  # lots per block, east and north
STREET_M = 18.0
USES = ("residential", "office", "retail", "industrial", "school", "hospital")
KINDS = ("rectangle", "L", "courtyard", "polygon")
KIND_SHARES = (0.4, 0.2, 0.1, 0.3)


def _rectangles(rng, m: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([np.column_stack(c) for c in ((-a, -b), (a, -b), (a, b), (-a, b))], axis=1)


def _ls(rng, m: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cx = rng.uniform(-0.5, 0.5, m) * a
    cy = rng.uniform(-0.5, 0.5, m) * b
    corners = ((-a, -b), (a, -b), (a, cy), (cx, cy), (cx, b), (-a, b))
    return np.stack([np.column_stack(c) for c in corners], axis=1)


def _stars(rng, m: int, k: int) -> np.ndarray:
    """Star-shaped k-gons: vertices at increasing angles round the centre, so never self-crossing."""
    angle = np.sort(rng.uniform(0, 2 * np.pi, (m, k)), axis=1)
    radius = rng.uniform(5.0, 11.0, (m, k))
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=2)


def synthetic_rows(n: int, *, seed: int = 0, centre: tuple[float, float] = (24.94, 60.17)) -> list[dict]:
    """``n`` building rows (id, footprint GeoJSON text, height 6-60 m, levels, use, year) on a grid
    of street blocks centred on ``centre`` (lon, lat); the same seed gives the same city."""
    rng = np.random.default_rng(seed)
    per_block = BLOCK_LOTS[0] * BLOCK_LOTS[1]
    block_w, block_h = BLOCK_LOTS[0] * LOT_M + STREET_M, BLOCK_LOTS[1] * LOT_M + STREET_M
    cols = max(1, math.ceil(math.sqrt(math.ceil(n / per_block) * block_h / block_w)))
    k = np.arange(n)
    block, lot = k // per_block, k % per_block
    cx = (block % cols) * block_w + (lot % BLOCK_LOTS[0] + 0.5) * LOT_M
    cy = (block // cols) * block_h + (lot // BLOCK_LOTS[0] + 0.5) * LOT_M
    if n:
        cx, cy = cx - (cx.min() + cx.max()) / 2, cy - (cy.min() + cy.max()) / 2
    kind = rng.choice(len(KINDS), size=n, p=KIND_SHARES)
    rings: list = [None] * n  # per building: list of (k, 2) arrays in metres about its lot centre
    for code, make in ((0, _rectangles), (1, _ls), (2, _rectangles)):
        sel = np.flatnonzero(kind == code)
        a, b = rng.uniform(4.0 if code != 2 else 8.0, 11.0, (2, len(sel)))
        outer = make(rng, len(sel), a, b)
        inner = _rectangles(rng, len(sel), a * rng.uniform(0.35, 0.6, len(sel)), b * rng.uniform(0.35, 0.6, len(sel)))
        for j, i in enumerate(sel.tolist()):
            rings[i] = [outer[j], inner[j][::-1]] if code == 2 else [outer[j]]
    sel = np.flatnonzero(kind == 3)
    sides = rng.integers(5, 13, len(sel))
    for s in range(5, 13):
        chosen = sel[sides == s]
        made = _stars(rng, len(chosen), s)
        for j, i in enumerate(chosen.tolist()):
            rings[i] = [made[j]]
    flip = rng.random(n) < 0.3  # some wound clockwise, as in real data
    turn = np.where(rng.random(n) < 0.2, rng.uniform(-0.25, 0.25, n), 0.0)  # a few set at an angle
    return _rows(rng, rings, cx, cy, flip, turn, Frame(*centre))


def _rows(rng, rings: list, cx, cy, flip, turn, frame: Frame) -> list[dict]:
    """Rotate, place and project every ring at once, then write each building's GeoJSON."""
    sizes = [len(r) for b in rings for r in b]
    local = np.concatenate([r for b in rings for r in b]) if sizes else np.zeros((0, 2))
    owner = np.repeat(np.repeat(np.arange(len(rings)), [len(b) for b in rings]), sizes)
    c, s = np.cos(turn[owner]), np.sin(turn[owner])
    x = cx[owner] + c * local[:, 0] - s * local[:, 1]
    y = cy[owner] + s * local[:, 0] + c * local[:, 1]
    lon, lat = frame.inverse(x, y)
    points = [f"[{a:.7f},{b:.7f}]" for a, b in zip(lon.tolist(), lat.tolist())]  # GeoJSON by hand: 5x json.dumps
    n = len(rings)
    height = np.round(6.0 + 54.0 * rng.beta(1.3, 3.5, n), 1)
    use = rng.integers(0, len(USES), n)
    year = rng.integers(1850, 2024, n)
    out, at = [], 0
    for i, b in enumerate(rings):
        coords = []
        for r in b:
            ring = points[at:at + len(r)]
            at += len(r)
            ring = ring[::-1] if flip[i] else ring
            coords.append("[" + ",".join(ring + ring[:1]) + "]")
        text = '{"type": "Polygon", "coordinates": [' + ",".join(coords) + "]}"
        out.append({"id": f"syn-{i:06d}", "district_id": None, "name": None,
                    "footprint": text, "model": None,
                    "height": float(height[i]), "levels": max(1, int(round(height[i] / 3.2))),
                    "use": USES[use[i]], "year": int(year[i])})
    return out
