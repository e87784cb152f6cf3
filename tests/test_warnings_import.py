"""CAP 1.2 warnings coming in: realistic files (FMI/MeteoAlarm- and NWS-shaped), update and cancel chains by
references, one line per bad alert with the good ones imported, hostile XML never a traceback, the cache's rule."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from console.cap.model import Alert, from_json, to_json
from console.cap.xml import Problem, problems_of, read_alerts, write_alert
from console.cli import main
from console.errors import UserError
from console.sync.validate import check_rows

DATA = Path(__file__).parent / "data" / "cap"
NOW = 1796680000.0  # 2026-12-07 ~22:26 UTC: the FMI alert in force, the NWS ones expired


def _db(url: str) -> sqlite3.Connection:
    return sqlite3.connect(url.removeprefix("sqlite:///"))


def test_one_line_per_bad_alert_and_the_good_ones_imported(platform, capsys):
    assert main(["import", "warnings", str(DATA / "nws_feed.xml"), "--platform", platform]) == 3  # partial
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("cityops: nws_feed.xml alert ") for line in lines)
    assert "bad-severity: not valid CAP 1.2" in lines[0] and "'Dangerous'" in lines[0]
    assert "bad-sent: not valid CAP 1.2 (line 100" in lines[1]  # the line in the feed, not in the alert alone
    assert "bad-polygon" in lines[2] and "not on Earth" in lines[2]
    assert "NOAA-NWS-ALERTS-old: is CAP 1.1" in lines[3]
    assert "Traceback" not in err and "Imported 2 warnings" in out
    with _db(platform) as db:
        rows = db.execute("SELECT kind, severity, status, title FROM incidents WHERE kind = 'warning' "
                          "ORDER BY severity").fetchall()
        warnings = db.execute("SELECT identifier, severity, alert FROM warnings ORDER BY identifier").fetchall()
    assert [r[:3] for r in rows] == [("warning", 1, "reported"), ("warning", 2, "reported")]
    assert [w[:2] for w in warnings] == [("hazmat-7", "Extreme"), ("urn:oid:2.49.0.1.840.0.ffw.1", "Severe")]
    circle = from_json(warnings[0][2]).info().areas[0].circles
    assert circle == ((-77.05, 38.85, 2.0),)


def test_update_and_cancel_change_the_same_incident(platform, capsys):
    for name in ("fmi_rain_update", "fmi_rain_alert", "fmi_rain_cancel"):  # the update arrives first
        assert main(["import", "warnings", str(DATA / f"{name}.xml"), "--platform", platform]) == 0
    capsys.readouterr()
    with _db(platform) as db:
        incidents = db.execute("SELECT id, severity, status, district_id FROM incidents "
                               "WHERE kind = 'warning'").fetchall()
        events = db.execute("SELECT event FROM incident_events WHERE incident_id LIKE 'cap:%' ORDER BY seq").fetchall()
        warning = db.execute("SELECT msg_type, chain FROM warnings").fetchall()
    # the update came before its original: it opened the warning; the original (older) was then not applied
    # backwards, and the cancellation, naming both, closed that same incident
    assert len(incidents) == 1 and incidents[0][2] == "closed" and incidents[0][3] is not None
    assert [e[0] for e in events] == ["opened", "closed"]
    assert warning[0][0] == "Cancel" and len(json.loads(warning[0][1])) == 3  # the original named, never applied


def test_chain_in_order_and_a_repeated_feed_changes_nothing(platform, capsys):
    for name in ("fmi_rain_alert", "fmi_rain_update", "fmi_rain_update"):
        assert main(["import", "warnings", str(DATA / f"{name}.xml"), "--platform", platform]) == 0
    out = capsys.readouterr().out
    assert "Skipped 1: warning: already on the platform (or a later message of its chain)" in out
    with _db(platform) as db:
        (sev, status, title), = db.execute("SELECT severity, status, title FROM incidents WHERE kind = 'warning'")
        events = [e for (e,) in db.execute("SELECT event FROM incident_events WHERE incident_id LIKE 'cap:%'")]
        (alert,), = db.execute("SELECT alert FROM warnings")
    assert (sev, status, events) == (1, "reported", ["opened", "updated"])  # Extreme after the update
    assert title.startswith("Red heavy rain warning")  # the English block's headline
    shown = from_json(alert)
    assert shown.in_force(NOW) and not shown.in_force(shown.expires + 1)  # expired: no longer in force
    assert shown.info("fi").headline.startswith("Punainen")


def test_list_and_export_write_schema_valid_xml(platform, capsys, tmp_path):
    main(["import", "warnings", str(DATA / "fmi_rain_alert.xml"), "--platform", platform])
    capsys.readouterr()
    expired = time.time() >= 1796702400  # its expiry, 2026-12-08 04:00 UTC
    assert main(["warnings", "list", "--platform", platform]) == 0
    assert (capsys.readouterr().out == "") == expired  # expired warnings leave the list in force
    assert main(["warnings", "list", "--platform", platform, "--all"]) == 0
    state = "expired" if expired else "in force"
    assert f"Severe · Heavy rain warning · Helsinki centre · until 2026-12-08 04:00 UTC · {state}" in \
        capsys.readouterr().out
    with _db(platform) as db:
        (wid,), = db.execute("SELECT id FROM warnings")
    assert main(["warnings", "export", "--platform", platform, "--id", wid, "--out", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("*.xml")
    doc = etree.parse(str(path)).getroot()
    assert problems_of(doc) is None
    again = [a for a in read_alerts(path.read_bytes(), path.name)]
    assert isinstance(again[0], Alert) and again[0].identifier == "2.49.0.0.246.0.FI.20261207150000.rain.1042"
    assert len(again[0].infos) == 2 and again[0].info("en").instruction == "Keep out of basements and underpasses."
    assert main(["warnings", "export", "--platform", platform, "--id", "nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cityops: error: no warning 'nope' on ")


def test_a_missing_file_and_a_feed_of_links_are_one_line(platform, capsys, tmp_path):
    assert main(["import", "warnings", str(tmp_path / "none.xml"), "--platform", platform]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    feed = tmp_path / "rss.xml"
    feed.write_text("<rss><channel><item><link>https://example.org/cap/1.xml</link></item></channel></rss>")
    assert main(["import", "warnings", str(feed), "--platform", platform]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "links to 1 alerts instead of holding them" in err


def test_the_cache_rule_reads_a_warning_row_or_sets_it_aside():
    alert = next(iter(read_alerts((DATA / "fmi_rain_alert.xml").read_bytes(), "x")))
    assert isinstance(alert, Alert)
    row = {"id": "cap:x", "identifier": alert.identifier, "sender": alert.sender, "sent": alert.sent,
           "status": "Actual", "msg_type": "Alert", "event": "Rain", "severity": "Severe", "urgency": "Expected",
           "certainty": "Likely", "onset": None, "expires": alert.expires, "alert": to_json(alert), "chain": "[]"}
    broken = json.loads(row["alert"])
    broken["infos"][0]["areas"][0]["polygons"][0][1] = [999, 0]
    good, bad = check_rows("warnings", [row, {**row, "id": "b", "alert": json.dumps(broken)},
                                        {**row, "id": "c", "chain": "{"}], NOW)
    assert [r["id"] for r in good] == ["cap:x"]
    assert [b.reason for b in bad] == ["alert: a point of 'Helsingin keskusta' (0,999) is not on Earth",
                                       "chain is not JSON"]


def test_written_alerts_are_valid_for_any_text():
    base = next(iter(read_alerts((DATA / "fmi_rain_alert.xml").read_bytes(), "x")))
    from dataclasses import replace

    @settings(max_examples=25, deadline=None)
    @given(st.text(max_size=80))
    def check(text: str) -> None:
        info = replace(base.infos[1], headline=text, instruction=text)
        try:
            data = write_alert(replace(base, infos=(info,)))
        except ValueError:  # lxml refuses control characters XML cannot hold: never written
            return
        assert problems_of(etree.fromstring(data)) is None

    check()


GOOD = (DATA / "fmi_rain_alert.xml").read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_xml_is_an_alert_or_one_line(data):
    """Hostile or damaged CAP: bytes cut, flipped, inserted, or an element's text replaced -> an alert or a
    one-line problem naming the source, never an exception."""
    doc = bytearray(GOOD)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        at = data.draw(st.integers(0, len(doc) - 1), label="at")
        how = data.draw(st.sampled_from(["cut", "flip", "insert", "text"]), label="how")
        if how == "cut":
            del doc[at:at + data.draw(st.integers(1, 200))]
        elif how == "flip":
            doc[at] = data.draw(st.integers(0, 255))
        elif how == "insert":
            doc[at:at] = data.draw(st.sampled_from([b"<", b"&", b"]]>", b"<!ENTITY x SYSTEM 'file:///etc/passwd'>",
                                                    b"\x00", b"\xff\xfe", b"<info>", "\u202e".encode()]))
        else:
            tag = data.draw(st.sampled_from([b"<sent>", b"<severity>", b"<polygon>", b"<expires>", b"<identifier>"]))
            start = GOOD.find(tag) + len(tag)
            end = GOOD.find(b"<", start)
            value = data.draw(st.text(max_size=30)).encode("utf-8", "surrogatepass")
            doc = bytearray(GOOD[:start] + value + GOOD[end:])
        if not doc:
            doc = bytearray(b" ")
    for found in read_alerts(bytes(doc), "mutated.xml"):
        if isinstance(found, Problem):
            assert found.line().startswith("mutated.xml") and "\n" not in found.line()
        else:
            assert isinstance(found, Alert) and found.infos
            from_json(to_json(found))  # what the platform stores, the console reads back


@pytest.mark.parametrize("source", ["nws_feed.xml"])
def test_export_round_trip_of_circles_and_polygons(source):
    alerts = [a for a in read_alerts((DATA / source).read_bytes(), source) if isinstance(a, Alert)]
    for alert in alerts:
        data = write_alert(alert)
        assert problems_of(etree.fromstring(data)) is None
        (again,) = read_alerts(data, "again")
        assert again.info().areas == alert.info().areas and again.expires == alert.expires


@pytest.fixture
def served(tmp_path):
    """A folder served over loopback HTTP (a feed server of the test's own): yields (folder, base URL)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # the server's access log is not the import's output
            pass

    folder = tmp_path / "www"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_url_feed_of_links_is_fetched_and_polled(platform, capsys, served):
    """An Atom feed on loopback HTTP that links to its alerts (as NWS's does): each fetched, checked,
    imported; polled again, the unchanged feed changes nothing; a dead link is one line."""
    import threading

    from console.importers.warnings import poll_feed

    tmp_path, base = served
    (tmp_path / "alert.xml").write_bytes((DATA / "fmi_rain_alert.xml").read_bytes())
    (tmp_path / "update.xml").write_bytes((DATA / "fmi_rain_update.xml").read_bytes())
    (tmp_path / "feed.xml").write_text(
        f'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>{base}/alert.xml</id><link href="{base}/alert.xml"/>'
        f'</entry><entry><link href="{base}/update.xml"/></entry><entry><link href="{base}/gone.xml"/></entry></feed>')
    assert main(["import", "warnings", f"{base}/feed.xml", "--platform", platform]) == 3
    out, err = capsys.readouterr()
    assert "Imported 1 warning, 1 warning update from" in out
    assert err.count("\n") == 1 and f"{base}/gone.xml: cannot be fetched (HTTP Error 404" in err
    stop, reports = threading.Event(), []
    poll_feed(f"{base}/feed.xml", platform, 0.01, stop, lambda r: (reports.append(r), stop.set()))
    assert not reports[0].counts and reports[0].skipped  # nothing new: nothing applied twice
    with _db(platform) as db:
        assert db.execute("SELECT count(*), max(msg_type) FROM warnings").fetchall() == [(1, "Update")]


def test_a_cap_feed_as_a_source_reaches_the_cache(served, tmp_path, monkeypatch):
    """--platform cap+http://...: the feed read into its own small platform, synced like any platform:
    the warning as reference data, its incident and events as streams; the update changes the same one."""
    from console.cache import Cache
    from console.cap.source import CapFeedConnector, feed_of
    from console.sync.engine import SyncEngine
    from console.sync.open_connector import open_connector

    folder, base = served
    (folder / "feed.xml").write_bytes((DATA / "fmi_rain_alert.xml").read_bytes())
    assert feed_of(f"cap+{base}/feed.xml?every=30&x=1") == (f"{base}/feed.xml?x=1", 30.0)
    with pytest.raises(UserError, match="at most every 5 s"):
        feed_of(f"cap+{base}/feed.xml?every=0.1")
    monkeypatch.setenv("CITYOPS_DATA_DIR", str(tmp_path / "data"))  # where the feed's own platform is kept
    connector = open_connector(f"cap+{base}/feed.xml?every=3600")
    assert isinstance(connector, CapFeedConnector) and (tmp_path / "data" / "cap-feeds").is_dir()
    cache = Cache(tmp_path / "cache.db")
    engine = SyncEngine(connector, cache)
    try:
        connector.read_once()
        engine.catch_up()
        (row,) = cache.rows("warnings")
        assert row["msg_type"] == "Alert" and cache.rows("incidents")[0]["kind"] == "warning"
        (folder / "feed.xml").write_bytes((DATA / "fmi_rain_update.xml").read_bytes())
        connector.read_once()
        engine.sync_reference()
        engine.catch_up()
        assert [r["msg_type"] for r in cache.rows("warnings")] == ["Update"]
        assert [r["event"] for r in cache.rows("incident_events")] == ["opened", "updated"]
        assert cache.rows("incidents")[0]["severity"] == 1
    finally:
        engine.stop()
        connector.close()
        cache.close()
