"""The report's measure of the alarm system itself: load, floods, bad actors, priorities (EEMUA 191)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.incidents.sla import format_elapsed
from console.replay.alarm_figures import FLOOD_N, TARGET, AlarmFigures
from console.shell.report_draw import Col, Doc
from console.shell.report_style import ALARM_INK, DIM, INK
from widgets.i18n import tr

_TIER_WORDS = {"low": "Low", "medium": "Medium", "high": "High"}


def figures_page(doc: Doc, f: AlarmFigures | None) -> None:
    doc.heading(tr("report", "Alarm system performance (EEMUA 191 / ISA-18.2)"))
    if f is None or not f.alarms:
        doc.text(tr("report", "No alarm was raised in this period: nothing to measure."), 10)
        return
    doc.text(tr("report", "Targets: about 1 alarm per operator per 10 minutes; a flood is {n} or more in 10 minutes; "
                          "no chattering, fleeting or standing alarms; priorities about 80 / 15 / 5 % low / medium "
                          "/ high.").format(n=FLOOD_N), 8.5, DIM, after=2)
    right = Qt.AlignmentFlag.AlignRight
    flood_words = "; ".join(tr("report", "{start}: {size} alarms over {span}").format(
        start=doc.clock(fl.start), size=fl.size, span=format_elapsed(fl.end - fl.start)) for fl in f.floods)
    rate_ink = ALARM_INK if f.per_operator_per_10min > 1.0 else INK
    rows = [
        [tr("report", "Alarms per operator per 10 min ({n} operators)").format(n=f.operators),
         (f"{f.per_operator_per_10min:.1f}", rate_ink)],
        [tr("report", "Most alarms in any 10 minutes"), (str(f.peak_10min), ALARM_INK if f.peak_10min >= FLOOD_N
                                                           else INK)],
        [tr("report", "Floods"), (str(len(f.floods)), ALARM_INK if f.floods else INK)],
        [tr("report", "Time in flood"), f"{100 * f.time_in_flood_share:.0f} %"],
        [tr("report", "Chattering alarms"), (str(len(f.chattering)), ALARM_INK if f.chattering else INK)],
        [tr("report", "Fleeting alarms (back within a minute)"), str(f.fleeting)],
        [tr("report", "Alarms standing longer than 24 h"), (str(len(f.standing)), ALARM_INK if f.standing else INK)],
    ]
    for tier, target in TARGET.items():
        share = f.tiers[tier] / f.alarms if f.alarms else 0.0
        rows.append([tr("report", "{tier} priority: share (target {target} %)").format(
            tier=tr("report", _TIER_WORDS[tier]), target=f"{100 * target:.0f}"),
            f"{f.tiers[tier]} · {100 * share:.0f} %"])
    if f.early_warnings:
        lead = format_elapsed(f.early_lead_median_s) if f.early_lead_median_s is not None else "—"
        rows.append([tr("report", "Early warnings: that came true · median lead before the alarm"),
                     f"{f.early_hits} / {f.early_warnings} · {lead}"])
    title = tr("report", "Alarm system performance")
    doc.table([Col(tr("report", "Figure"), 0.7), Col(tr("report", "Value"), 0.3, right)], rows, title=title)
    if flood_words:
        doc.text(tr("report", "Floods: {floods}").format(floods=flood_words), 8.5, INK, after=2)
    if f.chattering:
        doc.text(tr("report", "Chattering: {ids}").format(ids=", ".join(f.chattering)), 8.5, INK, after=2)
    if f.top:
        doc.subheading(tr("report", "The ten most frequent alarms"))
        doc.table([Col(tr("report", "Alarm"), 0.4), Col(tr("report", "Indicator"), 0.45, wrap=True),
                   Col(tr("report", "Raised"), 0.15, right)],
                  [[aid, name, str(n)] for aid, name, n in f.top], title=title)
