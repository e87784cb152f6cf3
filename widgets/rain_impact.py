"""The rainstorm impact panel ("rain_impact" in layouts): a supervisor's or trainer's "what if".

"Rain of X mm/h for Y hours from T": every drainage, traffic and hotline indicator's expected
peak and time to its limits, from each sensor's response learned from its own history
(console/forecast/rain_impact.py); the map shaded by expected risk, the districts ranked, the
plans that apply. The scenario is made at the clock's "now" from data before it, so in a replay
the trainer can run it at any moment; as the replay (or the day) goes on, the "came" columns
fill in with what actually happened after that moment: scenario deduction, without look-ahead.

Learning the responses takes seconds, so a run goes to a worker thread (``ScenarioRunner``) and
its result comes back by queued signal; the panel says "learning…" meanwhile and the wall keeps
painting. The result is published in ``ViewContext.scenario`` (each district's expected step),
which the 3D scene colours its buildings by until the scenario is cleared.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from html import escape
from typing import Any

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (QDoubleSpinBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSplitter, QTableWidget, QTableWidgetItem, QWidget)

from console.forecast.rain_impact import ImpactResult, Outcome, RainModel, RainScenario, deduction
from console.map.features import city_geometry
from console.map.live import sensor_positions
from widgets.base import View, ViewContext, register
from widgets.i18n import tr
from widgets.map.basemap import Basemap
from widgets.rain_map import RiskMap

log = logging.getLogger("cityops.rain")

COMPARE_EVERY_S = 30.0  # "what came" is looked at again this often (clock time)
IMPACT_COLUMNS = (QT_TRANSLATE_NOOP("rain", "Indicator"), QT_TRANSLATE_NOOP("rain", "Now"),
                  QT_TRANSLATE_NOOP("rain", "Peak"), QT_TRANSLATE_NOOP("rain", "Warning in"),
                  QT_TRANSLATE_NOOP("rain", "Alarm in"), QT_TRANSLATE_NOOP("rain", "Peak came"),
                  QT_TRANSLATE_NOOP("rain", "Alarm came"))
DISTRICT_COLUMNS = (QT_TRANSLATE_NOOP("rain", "District"), QT_TRANSLATE_NOOP("rain", "Risk"),
                    QT_TRANSLATE_NOOP("rain", "Alarms"), QT_TRANSLATE_NOOP("rain", "First alarm in"))


def minutes(at: float | None, now: float) -> str:
    return "—" if at is None else tr("units", "{n} min").format(n=max(0, round((at - now) / 60)))


class ScenarioRunner(QObject):
    """Runs one scenario at a time on a plain Python thread (the model is learned there); the
    result or a one-line reason comes back by queued signal on the UI thread."""

    finished = Signal(object, float)  # ImpactResult, seconds it took
    failed = Signal(str)

    def __init__(self, model: RainModel, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self.thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, scenario: RainScenario, now: float) -> None:
        self.thread = threading.Thread(target=self._run, args=(scenario, now), daemon=True, name="rain-scenario")
        self.thread.start()

    def _run(self, scenario: RainScenario, now: float) -> None:
        began = time.perf_counter()
        try:
            result = self.model.run(scenario, now)
        except ValueError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bad history must cost the scenario, not the wall
            log.exception("rain scenario failed")
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.finished.emit(result, time.perf_counter() - began)


@register("rain_impact")
class RainImpactView(View):
    PARAMS = {"title": str, "mm_h": (int, float), "hours": (int, float)}
    scenario_ready = Signal()  # a run's result is shown (and published to the other views)

    def __init__(self, ctx: ViewContext, params: dict[str, Any], parent: QWidget | None = None):
        super().__init__(ctx, params, parent)
        self.model = RainModel(ctx.store, ctx.history) if ctx.history is not None else None
        # no Qt parent: a run still going when the panel closes finishes into nothing, not a deleted object
        self.runner = ScenarioRunner(self.model) if self.model is not None else None
        if self.runner is not None:
            self.runner.finished.connect(self._finished)
            self.runner.failed.connect(self._failed)
        self.result: ImpactResult | None = None
        self.outcomes: dict[int, Outcome] = {}
        self._compared_at = -math.inf
        self._now: float | None = None
        self._ref = -1
        form = QHBoxLayout()
        self.rain = self._spin(float(params.get("mm_h", 30.0)), 0.0, 500.0, 1.0, " mm/h")
        self.hours = self._spin(float(params.get("hours", 2.0)), 0.25, 48.0, 0.25, " h")
        self.start_in = self._spin(0.0, 0.0, 24 * 60.0, 10.0, " min")
        for label, box in ((tr("rain", "Rain of"), self.rain), (tr("rain", "for"), self.hours),
                           (tr("rain", "starting in"), self.start_in)):
            form.addWidget(QLabel(label))
            form.addWidget(box)
        self.run_button = QPushButton(tr("rain", "Run scenario"))
        self.run_button.clicked.connect(self.run)
        form.addWidget(self.run_button)
        self.clear_button = QPushButton(tr("rain", "Clear"))
        self.clear_button.setEnabled(False)
        self.clear_button.clicked.connect(self.clear)
        form.addWidget(self.clear_button)
        form.addStretch(1)
        self.body.addLayout(form)
        self.summary = QLabel(tr("rain", "Set the rain and run the scenario."))
        self.summary.setWordWrap(True)
        self.body.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.map = RiskMap()
        split.addWidget(self.map)
        side = QWidget()
        grid = QGridLayout(side)
        grid.setContentsMargins(0, 0, 0, 0)
        self.districts = self._table(DISTRICT_COLUMNS)
        self.impacts = self._table(IMPACT_COLUMNS)
        self.plans = QLabel()
        self.plans.setWordWrap(True)
        self.plans.setAlignment(Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.districts, 0, 0)
        grid.addWidget(self.plans, 0, 1)
        grid.addWidget(self.impacts, 1, 0, 1, 2)
        grid.setRowStretch(1, 2)
        split.addWidget(side)
        split.setSizes([600, 800])
        self.body.addWidget(split, 1)

    def default_title(self) -> str:
        return tr("rain", "Rainstorm impact")

    @staticmethod
    def _spin(value: float, lo: float, hi: float, step: float, suffix: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setSingleStep(step)
        box.setDecimals(2 if step < 1 else 0)
        box.setValue(value)
        box.setSuffix(suffix)
        return box

    @staticmethod
    def _table(columns: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(columns))
        table.setHorizontalHeaderLabels([tr("rain", c) for c in columns])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return table

    def _load_map(self) -> None:
        self._ref = self.store.reference_version
        geo = city_geometry(self.store.reference, None)
        if geo is not None:
            self.map.set_geometry(geo, sensor_positions(self.store, geo.projection))
            self.map.set_basemap(Basemap(geo))

    def refresh(self, now: float) -> None:
        self._now = now
        if self.result is not None and now > self.result.now and now - self._compared_at >= COMPARE_EVERY_S:
            self._compare(now)

    def run(self) -> None:
        """The scenario at the clock's "now" (the replayed moment in a replay), from data before it,
        learned and run on the worker; the result arrives in ``_finished``."""
        now = self._now if self._now is not None else (self.ctx.clock.now() if self.ctx.clock else time.time())
        if self.runner is None:
            self.summary.setText(tr("rain", "No history to learn from: this console has no cache."))
            return
        if self.runner.running:
            return
        try:
            scenario = RainScenario(self.rain.value(), self.hours.value(), now + 60 * self.start_in.value())
        except ValueError as exc:
            self.summary.setText(str(exc))
            return
        self.run_button.setEnabled(False)
        self.summary.setText(tr("rain", "learning each sensor's response to rain…"))
        self.runner.start(scenario, now)

    @Slot(object, float)
    def _finished(self, result: ImpactResult, seconds: float) -> None:
        self.run_button.setEnabled(True)
        self.clear_button.setEnabled(True)
        self.result, self.outcomes, self._compared_at = result, {}, -math.inf
        if self._ref != self.store.reference_version:  # the map is built at the first run, not on every wall
            self._load_map()
        r = self.result
        alarms = sum(i.level == 2 for i in r.impacts)
        self.summary.setText(tr("rain", "{n} indicators modelled from their own history ({skipped} left out), "
                                        "{alarms} expected at their alarm limit · {s:.1f} s").format(
            n=len(r.impacts), skipped=len(r.skipped), alarms=alarms, s=seconds))
        self._show()
        self.ctx.scenario.publish({d: level for d, level in self.map.district_level.items()},
                                  tr("rain", "{mm} mm/h for {h} h").format(mm=f"{r.scenario.mm_h:g}",
                                                                           h=f"{r.scenario.hours:g}"))
        self.scenario_ready.emit()

    @Slot(str)
    def _failed(self, why: str) -> None:
        self.run_button.setEnabled(True)
        self.summary.setText(why)

    def clear(self) -> None:
        """The scenario is put away: the map, the tables and every view's colours back to normal."""
        self.result, self.outcomes = None, {}
        self.map.set_risk({}, {})
        for table in (self.districts, self.impacts):
            table.setRowCount(0)
        self.plans.setText("")
        self.summary.setText(tr("rain", "Set the rain and run the scenario."))
        self.clear_button.setEnabled(False)
        self.ctx.scenario.clear()

    def _compare(self, now: float) -> None:
        """What came after the scenario's moment, up to ``now`` (never later: no look-ahead)."""
        self._compared_at = now
        history = self.ctx.history

        def actual(iid: int, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
            data = history.fetch(self.store.indicators[iid], t0, min(t1, now), max_points=2000)
            keep = (data.ts > t0) & (data.ts <= min(t1, now))
            return data.ts[keep], data.values[keep]

        self.outcomes = {o.indicator.id: o for o in deduction(self.result, actual)}
        self._show()

    def _show(self) -> None:
        r = self.result
        self.map.set_risk({d.district_id: 2 if d.alarms else 1 if d.warnings else 0 for d in r.districts},
                          {i.indicator.id: (i.risk, i.level) for i in r.impacts})
        self.districts.setRowCount(len(r.districts))
        for row, d in enumerate(r.districts):
            for col, text in enumerate((d.name, f"{100 * min(d.risk, 9.99):.0f} %", str(d.alarms),
                                        minutes(d.first_alarm_at, r.now))):
                self.districts.setItem(row, col, QTableWidgetItem(text))
        self.impacts.setRowCount(len(r.impacts))
        for row, i in enumerate(r.impacts):
            ind, o = i.indicator, self.outcomes.get(i.indicator.id)
            fmt = f"{{:.{ind.decimals}f}} {ind.unit}"
            came = ("—", "—") if o is None else (
                "—" if o.actual_peak is None else fmt.format(o.actual_peak), minutes(o.actual_alarm_at, r.now))
            for col, text in enumerate((ind.name, fmt.format(i.value_now), fmt.format(i.peak),
                                        minutes(i.warn_at, r.now), minutes(i.alarm_at, r.now), *came)):
                self.impacts.setItem(row, col, QTableWidgetItem(text))
        self.plans.setText("<b>" + tr("rain", "Plans that apply") + "</b><br>" + (
            "<br>".join(f"<b>{escape(title)}</b>: " + escape(" · ".join(steps[:4])) for _, title, steps in r.plans)
            or tr("rain", "none: no limit expected")))
