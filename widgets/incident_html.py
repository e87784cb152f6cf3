"""The selected incident as Qt rich text: its header, its lifecycle with the SLA timers, its log,
the sensors near it and the units on it.

Functions of the incident as of now and what was looked up for it (``console.incidents``), apart
from the view (``widgets.incident_detail``) that lays them out and takes the keys: what is
shown of an incident reads in one place. Every text from the platform or a person is escaped.
"""

from __future__ import annotations

import html
import time

from console.incidents.lifecycle import ORDER, first_events
from console.incidents.nearby import format_distance
from console.incidents.sla import STEPS, Timer, describe, format_elapsed
from console.model.indicator import Status
from console.model.vocab import EVENT_TO_STATUS, INCIDENT_KINDS, SEVERITIES, STATUSES, UNIT_KINDS
from widgets import theme
from widgets.i18n import age, core, tr
from widgets.incidents import KIND_ICONS, SLA_COLOURS, SLA_WORDS

DIM, TEXT, ACCENT = theme.TEXT_DIM.name(), theme.TEXT.name(), theme.ACCENT.name()
ENDS_STEP = {end: name for name, (_, end) in STEPS.items()}  # status -> the SLA step it ends


def _e(text: object) -> str:
    return html.escape(str(text))


def _clock(ts: float, seconds: bool = False) -> str:
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", time.localtime(ts))


def _span(text: str, colour: str, bold: bool = False, size: int = 0) -> str:
    style = f"color:{colour};" + ("font-weight:700;" if bold else "") + (f"font-size:{size}px;" if size else "")
    return f'<span style="{style}">{text}</span>'


def header_html(row: dict, district: str, now: float) -> str:
    sev = theme.SEVERITY_COLOURS.get(row["severity"], theme.TEXT).name()
    kind = core(INCIDENT_KINDS.get(row["kind"], row["kind"]))
    status = core(row["status"].replace("_", " ")).upper()
    status = tr("incidents", "{status} (sending)").format(status=status) if row.get("pending") else status
    opened = tr("incident", "opened {time}, {age} ago").format(time=_clock(row["opened_at"]),
                                                               age=age(now - row["opened_at"]))
    return (f'<div style="font-size:15px">{_span("■ " + core(SEVERITIES.get(row["severity"], "?")).upper(), sev, True)}'
            f' &nbsp; {_e(KIND_ICONS.get(row["kind"], ""))} {_e(kind)} &nbsp; {_span(_e(row["id"]), DIM)}</div>'
            f'<div style="font-size:19px; font-weight:600">{_e(row["title"])}</div>'
            f'<div style="font-size:14px">{_span(status, ACCENT, True)} &nbsp;·&nbsp; {_e(district or "—")}'
            f' &nbsp;·&nbsp; {_e(opened)}</div>')


def steps_html(row: dict, timers: list) -> str:
    """The lifecycle as five cells: done ones with time and actor, the current one highlighted,
    and under each the SLA timer of the step that ends there (running in amber/red, or met)."""
    by_step, reached = {t.name: t for t in timers}, first_events(row["events"])
    cells = []
    for status in STATUSES:
        current, done = status == row["status"], ORDER[status] <= ORDER[row["status"]]
        colour = ACCENT if current else (TEXT if done else DIM)
        mark = "◉" if current else ("●" if done else "○")
        lines = [_span(f'{mark} {core(status.replace("_", " ")).upper()}', colour, current or done, 14)]
        if status in reached:
            lines.append(_span(f'{_clock(reached[status]["ts"])} · {_e(reached[status]["actor"])}', TEXT))
        timer = by_step.get(ENDS_STEP.get(status, ""))
        if timer is not None:
            text, tail, state = timer_text(timer)
            colour = SLA_COLOURS[state].name() if state else (TEXT if timer.running else DIM)
            lines.append(f'<span style="white-space:nowrap">{_span(text, colour, bool(state))}</span>')
            lines.append(_span(tail, colour if state else DIM))
        cells.append(f'<td style="padding:2px 10px 2px 0">{"<br>".join(lines)}</td>')
    return f'<table><tr>{"".join(cells)}</tr></table>'


def timer_text(timer: Timer) -> tuple[str, str, str]:
    """``describe`` in this language: ("⟳ 22:00 AMBER", "red at 30 min", "amber")."""
    _, _, state = describe(timer)
    amber, red = (tr("units", "{n} min").format(n=f"{s / 60:.0f}") for s in (timer.amber_s, timer.red_s))
    over_red = tr("sla", "over {limit}").format(limit=red)
    if timer.running:
        tail = {"": tr("sla", "amber at {limit}").format(limit=amber),
                "amber": tr("sla", "red at {limit}").format(limit=red)}.get(state, over_red)
    else:
        tail = {"": tr("sla", "on time"), "amber": tr("sla", "over {limit}").format(limit=amber)}.get(state, over_red)
    word = f" {tr('sla', SLA_WORDS[state])}" if state else ""
    return f"{'⟳' if timer.running else '✓'} {format_elapsed(timer.elapsed)}{word}", tail, state


def log_html(events: list[dict]) -> str:
    rows = []
    for ev in events:
        word = core(ev["event"].replace("_", " "))
        colour = ACCENT if ev["event"] in EVENT_TO_STATUS else \
            SLA_COLOURS["amber"].name() if ev["event"] == "escalated" else TEXT
        note = _e(ev["note"])
        if ev.get("pending"):
            note = f"<i>{_e(tr('incident', '{note} — sending').format(note=ev['note']))}</i>"
        elif ev.get("unconfirmed"):
            late = _e(tr("incident", "not confirmed by the platform"))
            note = f'<s>{note}</s> {_span(late, SLA_COLOURS["red"].name())}'
        rows.append(f'<tr><td style="color:{DIM}; padding-right:8px">{_clock(ev["ts"], True)}</td>'
                    f'<td style="padding-right:8px">{_span(_e(word), colour, True)}</td>'
                    f'<td style="padding-right:8px">{_e(ev["actor"])}</td><td>{note}</td></tr>')
    return f'<table>{"".join(rows)}</table>' if rows else _span(_e(tr("incident", "No events received yet.")), DIM)


def sensors_html(sensors: list) -> str:
    rows = []
    for s in sensors:
        colour = theme.STATUS_COLOURS[s.status].name() if s.status in (Status.WARNING, Status.ALARM) else TEXT
        word = _e(theme.status_word(s.status)) if s.status is not Status.NORMAL else ""
        rows.append(f'<tr><td style="color:{DIM}; padding-right:8px; white-space:nowrap" align="right">'
                    f'{format_distance(s.distance_m)}</td>'
                    f'<td style="padding-right:8px">{_e(s.name)}</td>'
                    f'<td align="right" style="white-space:nowrap">{_span(_e(s.text), colour, bool(word))}</td>'
                    f'<td style="padding-left:6px">{_span(word, colour, True)}</td></tr>')
    return f'<table>{"".join(rows)}</table>' if rows else _span(_e(tr("incident", "No sensors nearby.")), DIM)


def units_html(callsigns: list[str], near: list) -> str:
    by_callsign = {u.callsign: u for u in near}
    rows = []
    for callsign in callsigns:
        unit = by_callsign.get(callsign)
        what = (core(UNIT_KINDS.get(unit.kind, unit.kind))
                + (f" · {core(unit.status.replace('_', ' '))}" if unit.status else "")
                + f" · {format_distance(unit.distance_m)}") if unit else tr("incident", "mutual aid")
        rows.append(f"<tr><td style='padding-right:8px'><b>{_e(callsign)}</b></td><td>{_e(what)}</td></tr>")
    return f'<table>{"".join(rows)}</table>' if rows else _span(_e(tr("incident", "No unit assigned.")), DIM)
