"""Recording bundles are opened within fixed budgets: a hostile bundle is refused in one line before
it costs memory, measured (tracemalloc, in a subprocess) against what it would inflate to."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.errors import UserError
from console.replay import budget, export
from console.replay.bundle import MANIFEST, BundleError, write_bundle
from console.replay.bundle_read import read_bundle
from console.replay.capture import record_from_platform
from tests.conftest import REPO
from tests.hostile_bundles import constant_array, hostile_bundles, rewrite, seal

END = 1_780_000_000.0
START, STOP = END - 5400, END - 600
LIMIT = "40M"  # the genuine bundle needs ~30 MiB by the budget's reckoning
#: What each case is refused for (None: it opens).
EXPECTED = {
    "span-edited": "manifest.json does not match its checksum",
    "span-forged": "longer than a recording can be (7 days)",
    "bomb-json": "of memory to open, more than the 40 MiB allowed",
    "bomb-npy": "of memory to open, more than the 40 MiB allowed",
    "bomb-undeclared": "incidents.json holds 5000000 bytes, its manifest says",
    "dense": "of memory to open, more than the 40 MiB allowed",
    "many-readings": None,
    "week": "of memory to open, more than the 40 MiB allowed",  # a week of alarm states is priced in
    "names-extra": "holds '../../outside.txt', an unknown member",
    "names-duplicate": "it holds reference.json 2 times",
    "genuine-copy": None,
}
#: Opens each bundle named on the command line and prints, per bundle, what happened and the peak
#: memory traced while opening it (NumPy's buffers included).
PROBE = """
import json, sys, tracemalloc
from console.replay.bundle import BundleError
from console.replay.bundle_read import read_bundle
tracemalloc.start()
for path in sys.argv[1:]:
    tracemalloc.reset_peak()
    try:
        read_bundle(path)
        said = None
    except BundleError as exc:
        said = str(exc)
    print(json.dumps({"path": path, "said": said, "peak": tracemalloc.get_traced_memory()[1]}), flush=True)
"""


@pytest.fixture(scope="module")
def genuine(demo_platform, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("budget")
    return write_bundle(record_from_platform(demo_platform, START, STOP), folder / "genuine.cityrec")


@pytest.fixture(scope="module")
def hostile(genuine) -> dict[str, Path]:
    folder = genuine.parent / "hostile"
    folder.mkdir()
    return hostile_bundles(genuine, folder, scale=0.005)


def test_every_hostile_bundle_is_refused_in_one_line_before_it_costs_memory(hostile):
    run = subprocess.run([sys.executable, "-c", PROBE, *map(str, hostile.values())], cwd=REPO, capture_output=True,
                         text=True, timeout=120, env={**_env(), budget.ENV: LIMIT})
    assert run.returncode == 0, run.stderr[-2000:]
    found = {Path(r["path"]).stem: r for r in map(json.loads, run.stdout.splitlines())}
    assert set(found) == set(EXPECTED)
    for name, fragment in EXPECTED.items():
        said, peak = found[name]["said"], found[name]["peak"]
        if fragment is None:
            assert said is None, (name, said)
            assert peak < budget.parse_size(LIMIT), (name, peak)
        else:
            assert said and fragment in said and "\n" not in said and str(hostile[name]) in said, (name, said)
            # refused before anything large was inflated: well under what the members declare
            assert peak < 4 << 20, (name, peak)


def test_readings_beyond_what_the_indicators_can_report_are_refused(genuine, tmp_path):
    """50 M readings of one indicator are no recording: refused from the declared size when the
    reference data says how few indicators there are, else after reading the column."""
    reference = json.loads(zipfile.ZipFile(genuine).read("reference.json"))
    one = reference["indicators"][0]["id"]
    many = 200_000  # over 10 a second for 3.3 hours (120,001) for one indicator
    columns = {"readings/indicator_id.npy": constant_array(np.int32, many, one),
               "readings/ts.npy": constant_array(np.float64, many, START),
               "readings/value.npy": constant_array(np.float64, many, 1.0),
               "readings/quality.npy": constant_array(np.int8, many, 0)}
    counts = {"readings": many}
    after = rewrite(genuine, tmp_path / "after.cityrec", members=columns, manifest=lambda m: m["counts"].update(counts))
    with pytest.raises(BundleError, match=r"one indicator has 200,000 readings, more than it can report in "
                                          r"3.3 hours \(at most 120,001\)"):
        read_bundle(after)
    few = {**reference, "indicators": reference["indicators"][:1]}
    before = rewrite(genuine, tmp_path / "before.cityrec", members={**columns, "reference.json": json.dumps(few).encode()},
                     manifest=lambda m: m["counts"].update(counts, indicators=1))
    with pytest.raises(BundleError, match=r"holds 200,0\d\d readings, more than 1 indicators can report"):
        read_bundle(before)
    outside = rewrite(genuine, tmp_path / "outside.cityrec", manifest=lambda m: m["meta"].update(start=START + 3600))
    with pytest.raises(BundleError, match="readings outside the recording and its pre-roll"):
        read_bundle(outside)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edit=st.dictionaries(st.sampled_from(["meta", "counts", "members", "format_version", "extra"]),
                            st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                                         lambda inner: st.lists(inner, max_size=3)
                                         | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8),
                            min_size=1))
def test_generated_manifests_give_only_a_bundle_error(genuine, tmp_path, edit):
    """Manifests with any JSON in any part, sealed with a valid checksum: read, or one line."""
    path = rewrite(genuine, tmp_path / "generated.cityrec", manifest=lambda m: m.update(edit))
    try:
        read_bundle(path)
    except BundleError as exc:
        assert "\n" not in str(exc)


def test_memory_limit_is_read_from_the_environment(monkeypatch):
    assert budget.parse_size("4G") == 4 << 30 and budget.parse_size("512m") == 512 << 20
    assert budget.parse_size("1.5GiB") == int(1.5 * (1 << 30)) and budget.parse_size("1000") == 1000
    monkeypatch.delenv(budget.ENV, raising=False)
    assert budget.memory_limit() == budget.DEFAULT_MEMORY
    for bad in ("lots", "-1G", "0"):
        with pytest.raises(ValueError, match="not a size such as 4G"):
            budget.parse_size(bad)


def test_record_refuses_more_than_a_recording_may_cover(demo_platform):
    with pytest.raises(UserError, match="a recording covers at most 7 days"):
        record_from_platform(demo_platform, START - 8 * 86400, STOP)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_a_piece_at_a_time_and_reads_back_whole(genuine, tmp_path, monkeypatch, fmt):
    monkeypatch.setattr(export, "CHUNK_ROWS", 5000)
    recording = read_bundle(genuine)
    export.export_recording(recording, tmp_path, fmt)
    path = tmp_path / f"readings.{fmt}"
    readings = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert len(readings) == len(recording.readings) > 3 * 5000
    assert readings["value"].to_numpy().tobytes() == recording.readings.value.tobytes()
    assert list(readings["indicator_id"]) == recording.readings.indicator_id.tolist()
    codes = {row["id"]: row["code"] for row in recording.reference["indicators"]}
    assert list(readings["code"][::997]) == [codes[i] for i in recording.readings.indicator_id[::997].tolist()]


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_the_manifest_checksum_covers_every_part(genuine, tmp_path):
    doc = json.loads(zipfile.ZipFile(genuine).read(MANIFEST))
    assert doc["format_version"] == 2 and len(doc["sha256"]) == 64
    for edit in (lambda m: m["meta"].update(title="other"), lambda m: m["counts"].update(incidents=0),
                 lambda m: m.update(extra=1)):
        edited = rewrite(genuine, tmp_path / "edited.cityrec", manifest=edit, forge=False)
        with pytest.raises(BundleError, match="manifest.json does not match its checksum"):
            read_bundle(edited)
    assert seal(dict(doc)) == doc
