"""The warnings in force on every wall: which stand at a moment (live or replayed), the banner's line, the map's
outline (pixels in the warning colour inside the area, none outside), the 3D scene's ground outline."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from console.cap.live import LiveWarnings
from console.cap.model import Alert, Area, empty_info, to_json
from console.map.projection import Projection

T0 = 1_800_000_000.0
KAMPPI = {"type": "Polygon", "coordinates": [[[24.930, 60.165], [24.940, 60.165], [24.940, 60.170], [24.930, 60.170],
                                              [24.930, 60.165]]]}


def _alert(identifier: str, severity: str, expires: float | None, msg_type: str = "Alert",
           area: dict | None = None) -> Alert:
    area = area or {"desc": "Kamppi", "district": "kamppi"}
    infos = (empty_info(event="Heavy rain warning", severity=severity, urgency="Expected", certainty="Likely",
                        headline="Orange heavy rain warning", expires=expires, areas=(Area(**area),)),
             empty_info(language="zh-CN", event="暴雨预警", severity=severity, urgency="Expected", certainty="Likely",
                        expires=expires, areas=(Area(**area),)))
    refs = ("x,y,2026-01-01T00:00:00+00:00",) if msg_type != "Alert" else ()
    return Alert(identifier, "city", T0, "Actual", msg_type, infos, references=refs)


def _reference(*alerts: Alert) -> dict:
    return {"districts": [{"id": "kamppi", "name": "Kamppi", "boundary": json.dumps(KAMPPI)}],
            "warnings": [{"id": f"w{n}", "alert": to_json(a)} for n, a in enumerate(alerts)]}


def test_in_force_at_a_moment_most_severe_first():
    live = LiveWarnings()
    moderate = _alert("a", "Moderate", T0 + 3600)
    extreme = _alert("b", "Extreme", None, area={"desc": "Harbour", "circles": ((24.95, 60.16, 1.0),)})
    cancelled = _alert("c", "Severe", T0 + 3600, msg_type="Cancel")
    live.load(_reference(moderate, extreme, cancelled), 1)
    now = [w.event for w in live.at(T0 + 60)]
    assert now == ["Heavy rain warning", "Heavy rain warning"]
    assert [w.severity for w in live.at(T0 + 60)] == ["Extreme", "Moderate"]
    assert [w.severity for w in live.at(T0 + 3600)] == ["Extreme"]  # expired: gone from the list in force
    assert live.at(T0 - 1) == []  # a replay of the moment before it was issued
    shown = live.at(T0 + 60, "zh")
    assert shown[1].event == "暴雨预警" and shown[1].places == ("Kamppi",)
    assert len(shown[1].rings) == 1 and shown[1].rings[0][0] == (24.930, 60.165)  # the district's outline
    assert len(shown[0].rings[0]) == 49  # the circle, as a polygon


def test_the_banner_says_hazard_places_until_and_hides_when_none(qtbot):
    from console.store import Store
    from widgets.warning_banner import WarningBanner

    store = Store()
    store.load_reference(_reference(_alert("a", "Severe", T0 + 7200)))
    banner = WarningBanner()
    qtbot.addWidget(banner)
    banner.resize(1600, 100)
    banner.refresh(store, T0 + 60)
    assert len(banner.lines) == 1 and banner.lines[0].startswith("Severe · Heavy rain warning · Kamppi · until ")
    assert not banner.isHidden() and banner.height() > 40
    image = banner.grab().toImage()
    assert image.pixelColor(5, banner.height() // 2).name() == "#ffc400"  # the theme's warning bar
    banner.refresh(store, T0 + 7200)
    assert banner.lines == [] and banner.isHidden()


def test_the_map_outlines_the_area_in_the_warning_colour(qtbot):
    from PySide6.QtGui import QColor, QImage, QPainter

    from console.cap.live import LiveWarnings
    from widgets.map.basemap import View
    from widgets.map.style import TextPaths
    from widgets.map.warnings import paint_warnings, warning_areas

    live = LiveWarnings()
    live.load(_reference(_alert("a", "Severe", T0 + 7200)), 1)
    projection = Projection.centred(24.935, 60.1675)
    areas = warning_areas(live.at(T0), projection)
    view = View(0.0, 0.0, 0.5, 800, 600)  # half a pixel per metre: the district is ~280 × 280 px
    image = QImage(800, 600, QImage.Format.Format_ARGB32)
    image.fill(QColor("#000000"))
    p = QPainter(image)
    paint_warnings(p, view, areas, TextPaths())
    p.end()
    pixels = np.array([[image.pixelColor(x, y).red() for x in range(0, 800, 4)] for y in range(0, 600, 4)])
    inside = pixels[60:90, 80:120]  # around the centre, where the area is
    assert inside.mean() > 5  # the wash and hatch tint it, quietly
    assert inside.mean() < 80  # but the map under it stays readable
    assert pixels[:15, :20].max() == 0  # far outside the area: untouched
    (x0, y0), = [projection.forward_xy(np.array([[24.930, 60.1675]]))[0]]
    edge_x = round(400 + x0 * 0.5)
    column = [image.pixelColor(edge_x + dx, 300 + dy).name() for dx in (-1, 0, 1) for dy in range(-40, 40)]
    assert "#ffc400" in column  # the dashed outline on the district's western edge


def test_the_scene_outline_lies_on_the_ground_in_the_frame():
    from widgets.scene.warnings import LIFT_M, outline

    live = LiveWarnings()
    live.load(_reference(_alert("a", "Severe", T0 + 7200)), 1)
    frame = Projection.centred(24.935, 60.1675)
    points, segments, labels = outline(live.at(T0), frame)
    assert points.shape == (5, 3) and segments.tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]]
    assert np.allclose(points[:, 2], LIFT_M)
    assert abs(points[:, 0].max() - points[:, 0].min() - 555) < 5  # 0.01° of longitude at 60.17° N
    assert labels[0][1] == "Heavy rain warning"


def test_an_unreadable_warning_row_is_left_out_not_fatal(caplog):
    live = LiveWarnings()
    good = _alert("a", "Severe", None)
    reference = _reference(good)
    reference["warnings"].append({"id": "bad", "alert": "{"})
    live.load(reference, 2)
    assert [w.id for w in live.at(T0)] == ["w0"] and "unreadable" in caplog.text
    assert replace(good, msg_type="Cancel").in_force(T0) is False


@pytest.fixture(autouse=True)
def _english():
    from console.store import Store

    assert Store.names_in == "en"


def test_the_desk_drafts_and_offers_approval_only_to_a_second_supervisor(qtbot, tmp_path):
    from console.cache import Cache
    from console.model.action import Operator
    from console.store import Store
    from console.store.history import HistorySource
    from widgets.base import ViewContext
    from widgets.warning_desk import WarningDesk

    store = Store()
    store.load_reference({**_reference(_alert("a", "Severe", T0 + 7200)),
                          "districts": json.loads(json.dumps(_reference()["districts"]))})
    cache = Cache(tmp_path / "cache.db")
    sent = []

    def desk_for(operator: Operator) -> WarningDesk:
        desk = WarningDesk(ViewContext(store, HistorySource(cache), operator=operator, recorder=sent.append), {})
        qtbot.addWidget(desk)
        desk.refresh(T0 + 60)
        return desk

    sam = desk_for(Operator("sam", "supervisor"))
    assert sam.in_force.count() == 1 and sam.in_force.item(0).text() == "Severe · Heavy rain warning · Kamppi"
    sam.districts.item(0).setSelected(True)
    sam.draft_button.click()
    (draft,) = sent
    assert draft.action == "draft_warning" and draft.payload["alert"]["infos"][0]["areas"][0]["district"] == "kamppi"
    assert "second supervisor" in sam.message.text()
    with cache.engine.begin() as conn:  # the room's actions read back: the draft on the platform
        cache.append(conn, "operator_actions", [{**draft.platform_row("desk-1"), "seq": 1, "txid": 0}])
    sam._looked = -1e9
    sam.refresh(T0 + 61)
    sam.waiting.setCurrentRow(0)
    assert sam.waiting.count() == 1 and not sam.approve_button.isEnabled()  # never one's own draft
    assert "second supervisor" in sam.approve_button.toolTip()
    sue = desk_for(Operator("sue", "supervisor"))
    sue.waiting.setCurrentRow(0)
    assert sue.approve_button.isEnabled()
    sue.approve_button.click()
    assert sent[-1].action == "approve_warning" and sent[-1].target_id == draft.id and sent[-1].actor == "sue"
    ann = desk_for(Operator("ann", "operator"))
    assert not ann.draft_button.isEnabled() and not ann.approve_button.isEnabled()
    cache.close()


def test_an_expired_warnings_incident_has_ended_in_the_incident_list():
    from console.incidents.filters import incident_rows
    from console.store import Store

    store = Store()
    alert = _alert("a", "Severe", T0 + 3600)
    store.load_reference({**_reference(alert), "warnings": [{"id": "w0", "alert": to_json(alert),
                                                             "expires": T0 + 3600}]})
    store.add_incidents([{"id": "w0", "kind": "warning", "severity": 2, "status": "reported", "district_id": "kamppi",
                          "lon": 24.935, "lat": 60.1675, "title": "Heavy rain", "opened_at": T0, "updated_at": T0,
                          "rev": 1}],
                        [{"seq": 1, "incident_id": "w0", "ts": T0, "event": "opened", "actor": "city", "note": ""}])
    (row,) = incident_rows(store, T0 + 60)
    assert row["status"] == "reported" and row["information"] and row["timers"] == []  # information: no SLA
    assert incident_rows(store, T0 + 3600, include_closed=False) == []  # expired: off the walls' lists
    assert incident_rows(store, T0 + 3600)[0]["status"] == "closed"
