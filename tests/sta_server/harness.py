"""Start, feed, cut and restart a throwaway SensorThings server for tests and benchmarks.

The server is django-ogc-sensorthings under Django's own HTTP server, in a venv of its own
(``.venv-sta``, made from packaging/sta-server.txt the first time; CITYOPS_STA_PYTHON names
another interpreter that has it), with its SQLite database in a temporary folder. Each server gets a free loopback port and is
killed by the test that started it (its MQTT broker is tests/mosquitto.py's): the machine's own
servers are never touched.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from tests.ports import free_port, wait_listening

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def server_python() -> str:
    """The interpreter that has django-ogc-sensorthings (the venv is made on first use)."""
    if given := os.environ.get("CITYOPS_STA_PYTHON"):
        return given
    venv = ROOT / ".venv-sta"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    want = (ROOT / "packaging" / "sta-server.txt").read_text()
    with open(ROOT / ".venv-sta.lock", "w") as lock:  # parallel test workers make it once, one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not python.exists() or not stamp.exists() or stamp.read_text() != want:
            base = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([base, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", "-r",
                            str(ROOT / "packaging" / "sta-server.txt")], check=True)
            stamp.write_text(want)
    return str(python)


class StaServer:
    """One SensorThings server: its database lives in ``folder`` across restarts."""

    def __init__(self, folder: Path, broker: str | None = None, max_top: int = 1000, template: Path | None = None):
        """``template``: a database to start from (default: an empty one, migrated once and kept)."""
        self.folder = folder
        self.port = free_port()
        self.env = dict(os.environ, STA_DB=str(folder / "sta.sqlite3"), STA_PORT=str(self.port),
                        STA_MAX_TOP=str(max_top), DJANGO_SETTINGS_MODULE="settings", PYTHONPATH=str(HERE))
        self.env.pop("STA_MQTT", None)
        if broker:
            self.env["STA_MQTT"] = broker
        self.python = server_python()
        self.proc: subprocess.Popen | None = None
        self.http = requests.Session()
        template = template or self._migrated()
        shutil.copyfile(template, self.env["STA_DB"])

    def _migrated(self) -> Path:
        """An empty database with the server's tables, made once per server version (a migration takes seconds)."""
        key = hashlib.sha256(f"{self.python}\n{(ROOT / 'packaging' / 'sta-server.txt').read_text()}".encode())
        kept = Path(tempfile.gettempdir()) / f"cityops-sta-{key.hexdigest()[:16]}.sqlite3"
        if not kept.exists():
            fresh = self.folder / "migrated.sqlite3"
            subprocess.run([self.python, "-m", "django", "migrate", "-v0"], env=dict(self.env, STA_DB=str(fresh)),
                           check=True, cwd=self.folder)
            partial = kept.with_suffix(f".{os.getpid()}.part")
            shutil.copyfile(fresh, partial)
            partial.replace(kept)  # whole or not at all: another run may be making it too
        return kept

    @property
    def env_db(self) -> Path:
        return Path(self.env["STA_DB"])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/sensorthings/v1.1"

    @property
    def url(self) -> str:
        """The console's platform URL for it."""
        return "sta+" + self.base

    def start(self) -> None:
        with open(self.folder / "server.log", "ab") as log:
            self.proc = subprocess.Popen([self.python, "-m", "django", "runserver", f"127.0.0.1:{self.port}",
                                          "--noreload"], env=self.env, cwd=self.folder, stdout=log, stderr=log)
        wait_listening(self.port, 30, "the SensorThings server")

    def stop(self) -> None:
        """Kill it (as a crash or a cut cable would: no goodbye)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    # -- feeding it, as a city's sensors would ---------------------------------------------
    def post(self, path: str, body: object) -> requests.Response:
        answer = self.http.post(f"{self.base}/{path}", json=body, timeout=60)
        answer.raise_for_status()
        return answer

    def datastream(self, name: str, *, lon: float = 24.95, lat: float = 60.17, unit: str = "cm",
                   properties: dict | None = None, thing_properties: dict | None = None) -> str:
        """A Thing at (lon, lat) with one Datastream; returns the Datastream's id."""
        thing = {"name": f"{name} station", "description": name, "properties": thing_properties or {},
                 "Locations": [{"name": name, "description": name, "encodingType": "application/geo+json",
                                "location": {"type": "Point", "coordinates": [lon, lat]}}],
                 "Datastreams": [{"name": name, "description": name, "observationType": MEASUREMENT,
                                  "unitOfMeasurement": {"name": unit, "symbol": unit, "definition": unit},
                                  "properties": properties or {},
                                  "ObservedProperty": {"name": name, "definition": f"urn:{name}", "description": name},
                                  "Sensor": {"name": name, "description": name, "encodingType": "text/html",
                                             "metadata": "urn:sensor"}}]}
        self.post("Things", thing)
        found = self.http.get(f"{self.base}/Datastreams", params={"$filter": f"name eq '{name}'"}, timeout=30).json()
        return found["value"][0]["@iot.id"]

    def observe(self, datastream: str, points: list[tuple[str, float]]) -> list[str]:
        """Observations (ISO time, result) of one Datastream, in bulk (CreateObservations, 10,000 a request)."""
        ids: list[str] = []
        for i in range(0, len(points), 10_000):
            body = [{"Datastream": {"@iot.id": datastream}, "components": ["phenomenonTime", "result"],
                     "dataArray": [list(p) for p in points[i:i + 10_000]]}]
            ids += [link.rpartition("(")[2].strip("')") for link in self.post("CreateObservations", body).json()]
        return ids

    def observe_one(self, datastream: str, when: str, result: object) -> str:
        answer = self.post("Observations", {"phenomenonTime": when, "result": result,
                                            "Datastream": {"@iot.id": datastream}})
        return answer.headers["Location"].rpartition("(")[2].strip("')")

    def observations(self) -> list[dict]:
        """Every observation the server holds (id, time, result, Datastream id), in id order."""
        out, after = [], None
        while True:
            params = {"$orderby": "id asc", "$top": "1000", "$select": "id,phenomenonTime,result",
                      "$expand": "Datastream($select=id)"}
            if after:
                params["$filter"] = f"id gt {after}"
            page = self.http.get(f"{self.base}/Observations", params=params, timeout=120).json()["value"]
            out += page
            if len(page) < 1000:
                return out
            after = page[-1]["@iot.id"]

    def sql(self, statement: str, params: tuple = ()) -> None:
        """Write the server's database directly (a row committed late, below ids already read)."""
        import sqlite3

        with sqlite3.connect(self.env["STA_DB"], timeout=30) as db:
            db.execute(statement, params)
