"""The recording commands of `cityops`: record, replay, export and report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from console.errors import UserError
from console.paths import places
from console.progress import progress_bar


def add_commands(sub, common, wall_options, platform_url) -> None:
    """Add record, replay, export and report to the `cityops` parser (``sub``: its subparsers)."""
    record = sub.add_parser("record", help="save a stretch of the city as a self-contained recording bundle")
    common(record)
    record.add_argument("--from", dest="start", required=True, metavar="T",
                        help="first moment: ISO 8601 (2026-11-21T14:05, local time without an offset), "
                        "epoch seconds, or an offset from now such as -3h")
    record.add_argument("--to", dest="end", required=True, metavar="T", help="last moment, as --from (e.g. -10m)")
    record.add_argument("--district", metavar="ID", help="only this district (and the city-wide indicators)")
    record.add_argument("--platform", metavar="URL", type=platform_url,
                        help="record straight from a platform instead of the local cache")
    record.add_argument("--cache", metavar="PATH", help="cache file (default: in the data directory)")
    record.add_argument("--title", default="", help="a title shown on the replay banner and the report")
    record.add_argument("--out", type=Path, required=True, metavar="FILE", help="bundle to write (.cityrec)")

    replay = sub.add_parser("replay", help="replay a recording bundle on the wall (no platform needed)")
    common(replay)
    wall_options(replay, "demo", cache=False)
    replay.add_argument("file", type=Path, help="a recording bundle made by cityops record")
    replay.add_argument("--at", metavar="T", help="start at T: an offset into the recording (+45m, +01:30) "
                        "or a time as for record (default: its start)")
    replay.add_argument("--speed", type=_speed, default=1.0, metavar="X", help="replay speed, 0.25 to 64 (default 1)")
    replay.add_argument("--paused", action="store_true", help="open paused")
    replay.add_argument("--drill", type=Path, metavar="FILE",
                        help="a drill script (TOML) whose events are injected into the replay, marked DRILL")

    export = sub.add_parser("export", help="export a recording bundle as CSV or Parquet tables for analysis")
    export.add_argument("file", type=Path, help="a recording bundle made by cityops record")
    export.add_argument("--format", choices=("csv", "parquet"), default="csv",
                        help="csv (one file per table) or parquet (default csv)")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the tables")

    report = sub.add_parser("report", help="write the after-action report of a recording as a PDF")
    report.add_argument("file", type=Path, help="a recording bundle made by cityops record")
    report.add_argument("--out", type=Path, required=True, metavar="PDF", help="the PDF to write")
    report.add_argument("--drill", type=Path, metavar="FILE", help="the drill script the session ran, if any")


_TIME_OPTIONS = ("--from", "--to", "--at")


def join_offsets(argv: list[str]) -> list[str]:
    """``--from -3h`` as ``--from=-3h``: argparse would take the offset's minus for an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in _TIME_OPTIONS and arg.startswith("-") and arg[1:2].isdigit():
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def _speed(text: str) -> float:
    from console.clock import Clock

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"speed {text!r} is not a number") from None
    if not Clock.MIN_SPEED <= value <= Clock.MAX_SPEED:
        raise argparse.ArgumentTypeError(f"speed {value:g} is outside {Clock.MIN_SPEED:g} to {Clock.MAX_SPEED:g}")
    return value


def cmd_record(args: argparse.Namespace) -> int:
    from console.replay.bundle import write_bundle
    from console.replay.capture import record_from_cache, record_from_platform
    from console.replay.times import parse_time

    now = time.time()
    start, end = parse_time(args.start, now, "--from"), parse_time(args.end, now, "--to")
    if args.platform:
        from console.cli_platform import sign_in_terminal
        from console.sync.sql_connector import SqlConnector

        connector = SqlConnector(args.platform)
        if connector.postgres:  # as the person: a terminal prompt where a password is wanted
            sign_in_terminal(connector)
        recording = record_from_platform(connector, start, end, args.district, progress_bar("reading the platform"),
                                         title=args.title)
    else:
        from console.cli_wall import open_cache_told

        cache = open_cache_told(args.cache or places(args.data_dir).cache)
        try:
            recording = record_from_cache(cache, start, end, args.district, progress_bar("reading the cache"),
                                          title=args.title)
        finally:
            cache.close()
    path = write_bundle(recording, args.out, progress_bar("writing the bundle"))
    size = path.stat().st_size / 1e6
    print(f"recorded {_span(start, end)}: {len(recording.readings):,} readings, {len(recording.incidents)} incidents, "
          f"{len(recording.actions)} operator actions -> {path} ({size:.1f} MB)")
    return 0


def _span(start: float, end: float) -> str:
    fmt = "%Y-%m-%d %H:%M:%S"
    return f"{time.strftime(fmt, time.localtime(start))} to {time.strftime(fmt, time.localtime(end))}"


def _open_recording(path: Path, drill: Path | None):
    from console.replay.bundle_read import read_bundle
    from console.replay.drill import apply_drill, load_drill

    recording = read_bundle(path, progress_bar("checking the bundle"))
    if drill is not None:
        recording = apply_drill(recording, load_drill(drill, recording))
    return recording


def cmd_replay(args: argparse.Namespace) -> int:
    from console.clock import Clock
    from console.cli_wall import open_wall_layout, wall_run_options
    from console.replay.session import open_session
    from console.replay.timeline import notes_path
    from console.replay.times import parse_time
    from console.shell.launch import run_wall
    from console.store import Store

    layout = open_wall_layout(args)
    recording = _open_recording(args.file, args.drill)
    meta = recording.meta
    at = meta.start if args.at is None else parse_time(args.at, meta.start, "--at")
    if not meta.start <= at <= meta.end:
        raise UserError(f"--at {args.at} is outside the recording ({_span(meta.start, meta.end)})")
    # the first pass over the alarms runs on a worker: the wall opens on the first frame, the
    # timeline shows how far the pass has got, a seek beyond it waits for that part only
    Store.names_in = args.lang  # the session's store names indicators as it loads them, before the wall opens
    session = open_session(recording, notes_path(args.file), background=True)
    if session.notice:
        print(f"cityops: {session.notice}", file=sys.stderr)
    print(f"replaying {args.file.name}: {_span(meta.start, meta.end)} at ×{args.speed:g}"
          + (f", drill {recording.drill_title!r}" if recording.drill_title else ""))
    clock = Clock()
    clock.replay(at, speed=args.speed, playing=not args.paused)
    options = wall_run_options(args, None)
    state = places(args.data_dir).data / "replay"
    try:
        return run_wall(layout, None, None, options, clock, replay=session, state_dir=state)
    finally:
        session.close()
        session.save_notes()


def cmd_export(args: argparse.Namespace) -> int:
    from console.replay.export import export_recording

    written = export_recording(_open_recording(args.file, None), args.out, args.format)
    print(f"exported {len(written)} tables to {args.out}: " + ", ".join(p.name for p in written))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from console.forecast.backtest import recording_warnings
    from console.replay.debrief import make_debrief
    from console.replay.session import open_session
    from console.replay.timeline import notes_path
    from console.shell.report import write_report
    from console.shell.qt_setup import offscreen_app

    offscreen_app()  # the PDF is drawn with Qt's painter: no window, so no display needed
    session = open_session(_open_recording(args.file, args.drill), notes_path(args.file), progress_bar("replaying"))
    notes = session.timeline.notes_json()
    debrief = make_debrief(session.recording, session.source.records, notes.get("annotations", []),
                           notes.get("bookmarks", []), recording_warnings(session.recording))
    path = write_report(debrief, args.out)
    print(f"after-action report: {path}")
    return 0
