"""District names (and the other names the map places) over a map blocked by hundreds of markers:
placement looks only at the boxes a name could reach, and lands exactly where testing every box does."""

from __future__ import annotations

import numpy as np

from console.map.labels import Label, corners, overlap, place_labels


def _placed_by_hand(labels, width, height, pad, blocked, repeat_gap):
    """place_labels' rule spelled out: every spot against every blocked box and placed name."""
    taken = [np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64) for x0, y0, x1, y1 in blocked]
    placed, where = [], {}
    for label in sorted(labels, key=lambda lb: lb.priority):
        for x, y, angle in label.spots:
            quad = corners(x, y, label.w, label.h, angle, pad)
            if quad.min(axis=0).min() < 0 or quad[:, 0].max() > width or quad[:, 1].max() > height:
                continue
            if any((x - a) ** 2 + (y - b) ** 2 < repeat_gap ** 2 for a, b in where.get(label.group, ())):
                continue
            if any(overlap(quad, other) for other in taken):
                continue
            taken.append(quad)
            placed.append((label.text, x, y, angle))
            if label.group:
                where.setdefault(label.group, []).append((x, y))
            break
    return placed


def test_names_go_where_they_went_however_many_markers_block_the_map():
    """place_labels looks only at the blocked boxes some spot could reach (a street-zoom frame
    blocks hundreds of markers for six district names): names, turned or not, near the edges or
    not, land exactly where testing every box puts them."""
    turned = Label("turned", 30, 30, ((100.0, 100.0, np.pi / 4), (400.0, 300.0, 0.0)))  # a corner reaches 25.5 px
    near = [(122.0, 95.0, 140.0, 105.0)]  # further right than its half side, not than its corner
    assert [(pl.x, pl.y) for pl in place_labels([turned], 800, 600, 3.0, near)] == [(400.0, 300.0)]
    assert _placed_by_hand([turned], 800, 600, 3.0, near, 320.0) == [("turned", 400.0, 300.0, 0.0)]
    rng = np.random.default_rng(12)
    for _ in range(60):
        labels = []
        for k in range(12):
            w, h = rng.uniform(12, 160), rng.uniform(12, 40)
            x = np.concatenate([rng.uniform(-20, 820, 3), rng.choice([8.0, 792.0], 3) + rng.normal(0, 10, 3)])
            y = np.concatenate([rng.choice([8.0, 592.0], 3) + rng.normal(0, 10, 3), rng.uniform(-20, 620, 3)])
            angle = rng.choice([0.0, np.pi / 4, -np.pi / 4, np.pi / 2 - 0.05, 1.2], 6) + rng.normal(0, 0.05, 6)
            spots = tuple((float(a), float(b), float(c)) for a, b, c in zip(x, y, angle))
            labels.append(Label(f"name {k}", w, h, spots, priority=float(rng.integers(0, 3)), group=f"g{k % 4}"))
        corner = rng.uniform((0, 0), (800, 600), (80, 2))
        size = rng.uniform(4, 50, (80, 2))
        blocked = [tuple(v) for v in np.column_stack([corner, corner + size]).tolist()]
        got = [(pl.label.text, pl.x, pl.y, pl.angle) for pl in place_labels(labels, 800, 600, 3.0, blocked, 150.0)]
        assert got == _placed_by_hand(labels, 800, 600, 3.0, blocked, 150.0)
