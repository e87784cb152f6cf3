"""``cityops figures``: the alarm system measured (EEMUA 191 / ISA-18.2) over any stretch of the cache.

A supervisor's view of how the alarm system did between two moments: the stretch is read from the
console's cache as ``cityops record`` reads it, its alarms are raised by the wall's own rules with
the operators' recorded actions applied (console/replay/session.py), its early warnings made
minute by minute as a wall would (console/forecast/backtest.py), and the figures are the report's
(console/replay/alarm_figures.py), printed as text.
"""

from __future__ import annotations

import argparse
import time

from console.paths import places
from console.progress import progress_bar


def add_commands(sub, common) -> None:
    figures = sub.add_parser("figures", help="the alarm system's key figures (EEMUA 191) over a stretch of the cache")
    common(figures)
    figures.add_argument("--from", dest="start", required=True, metavar="T",
                         help="first moment: ISO 8601, epoch seconds, or an offset from now such as -24h")
    figures.add_argument("--to", dest="end", default="-0m", metavar="T", help="last moment, as --from (default now)")
    figures.add_argument("--cache", metavar="PATH", help="cache file (default: in the data directory)")


def cmd_figures(args: argparse.Namespace) -> int:
    from console.cli_wall import open_cache_told
    from console.forecast.backtest import recording_warnings
    from console.replay.alarm_figures import alarm_figures
    from console.replay.capture import record_from_cache
    from console.replay.session import open_session
    from console.replay.times import parse_time

    now = time.time()
    start, end = parse_time(args.start, now, "--from"), parse_time(args.end, now, "--to")
    cache = open_cache_told(args.cache or places(args.data_dir).cache)
    try:
        recording = record_from_cache(cache, start, end, progress=progress_bar("reading the cache"))
    finally:
        cache.close()
    session = open_session(recording, None, progress_bar("raising the alarms"))
    operators = len({a["actor"] for a in recording.actions if a.get("role") == "operator"})
    f = alarm_figures(session.source.records, start, end, operators, recording_warnings(recording))
    print("\n".join(lines(f, start, end)))
    return 0


def lines(f, start: float, end: float) -> list[str]:
    """The figures as a supervisor reads them in a terminal."""
    from console.replay.alarm_figures import FLOOD_N, TARGET

    def at(t: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))

    out = [f"alarm system {at(start)} to {at(end)}: {f.alarms} alarms, {f.operators} operator(s)",
           f"  alarms per operator per 10 min: {f.per_operator_per_10min:.2f} (busiest 10 min: {f.peak_10min})",
           f"  floods (≥ {FLOOD_N} in 10 min): {len(f.floods)}, {100 * f.time_in_flood_share:.1f} % of the time"]
    out += [f"    {at(fl.start)} for {(fl.end - fl.start) / 60:.0f} min: {fl.size} alarms" for fl in f.floods]
    out += [f"  chattering: {len(f.chattering)} {', '.join(f.chattering)}".rstrip(),
            f"  fleeting (back within 60 s): {f.fleeting}",
            f"  standing longer than 24 h: {len(f.standing)} {', '.join(f.standing)}".rstrip()]
    total = max(f.alarms, 1)
    out.append("  priorities: " + ", ".join(f"{tier} {100 * f.tiers[tier] / total:.0f} % (target {100 * share:.0f} %)"
                                            for tier, share in TARGET.items()))
    out.append("  most frequent: " + "; ".join(f"{aid} ×{n}" for aid, _, n in f.top[:10]))
    lead = "—" if f.early_lead_median_s is None else f"{f.early_lead_median_s / 60:.1f} min"
    rate = "—" if f.early_hit_rate is None else f"{100 * f.early_hit_rate:.0f} %"
    out.append(f"  early warnings: {f.early_warnings}, came true {f.early_hits} ({rate}), "
               f"median lead before the alarm {lead}")
    return out
