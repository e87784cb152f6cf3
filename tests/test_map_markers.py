"""Incident markers and cluster bubbles on the map: the sprites they are blitted from, and what a
pan frame draws, checked against the same markers drawn from scratch."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter


def _drawn(draw) -> QImage:
    image = QImage(120, 120, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.black)
    p = QPainter(image)
    draw(p)
    p.end()
    return image


def test_a_cluster_bubble_is_never_taken_for_the_marker_of_the_same_numbers(qapp):
    """Sprites keeps markers per (kind, severity) and bubbles per (count, worst): a kind-3
    severity-2 marker seen first once stood in for every bubble of 3 with a worst of 2."""
    from widgets.map.markers import Sprites, cluster_radius

    fresh = _drawn(lambda p: Sprites().cluster(p, 60, 60, 3, 2, 1.0))
    sprites = Sprites()
    marker = _drawn(lambda p: sprites.draw(p, 60, 60, 3, 2, 1.0))
    radius: list[float] = []
    bubble = _drawn(lambda p: radius.append(sprites.cluster(p, 60, 60, 3, 2, 1.0)))
    assert bubble == fresh and bubble != marker
    assert radius == [cluster_radius(3) + 6]
    assert _drawn(lambda p: sprites.draw(p, 60, 60, 3, 2, 1.0)) == marker  # and the marker stays a marker


def test_the_furniture_is_measured_again_when_its_words_change(qapp, monkeypatch):
    """Its sizes are kept per wording (a pan frame asked for them twice, tens of font metrics
    each): other chips, another summary or the severity key's words in another language are
    measured afresh; counts that only change their digits are not (the frame stays put)."""
    from widgets.map import overlay

    chips = [overlay.chip_label(i, t) for i, t in enumerate(("Incidents", "Heat", "Units"))]
    first = overlay.furniture(chips, "12 active · 3 new", None)
    assert overlay.furniture(chips, "15 active · 0 new", None) is first
    assert overlay.furniture(chips[:2], "12 active · 3 new", None).chips == first.chips[:2]
    assert overlay.furniture(chips, "12 active · 3 new", "Heat · 1 h").keys[0] == first.keys[0]
    assert overlay.furniture(chips, "12 active · 3 new · 4 closed", None).keys[0][1].height() > first.keys[0][1].height()
    monkeypatch.setattr(overlay, "core", lambda word: f"{word} (translated at length)")
    assert overlay.furniture(chips, "12 active · 3 new", None).keys[0][0].width() > first.keys[0][0].width()
