"""Several sources in one console (``--sources FILE``): a connector made of connectors.

Each source keeps its own cursor per stream (the cache's ``readings@NAME`` ...: the engine asks
``cursor_keys``), its own ids (console/sources/namespace.py) and its own state. A source that
fails is set aside with its reason and tried again after a back-off while the others go on:
its streams simply bring nothing, its reference data stays as last read (from the cache after
a restart), and the header shows it offline with the age of its newest data. Only when every
source is down is the console offline. Works with any connector open_connector makes.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection

from console.errors import UserError
from console.model.schema import REFERENCE_TABLES
from console.sources.namespace import Namespace
from console.sources.sources_file import SourceSpec
from console.sync.connector import (ActionsRefused, Connector, Cursor, Delivery, HeldBack, Listener,
                                    PlatformUnavailable, SourceState)

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 30.0


class Source:
    """One source: its connector, ids, and whether it answers."""

    def __init__(self, spec: SourceSpec, connector: Connector, several: bool):
        self.spec, self.connector = spec, connector
        self.ns = Namespace(spec.namespace, spec.slot, several)
        self.state = SourceState(spec.name, "connecting")
        self.retry_at = 0.0
        self.backoff = 0.5
        self.reference: dict[str, list[dict]] | None = None  # as last read, namespaced
        self.stamp: int = 0

    def gives(self, table: str) -> bool:
        return not self.spec.tables or table in self.spec.tables

    @property
    def up(self) -> bool:
        return self.state.state != "offline" or time.monotonic() >= self.retry_at

    def failed(self, exc: Exception) -> None:
        if self.state.state != "offline":
            log.warning("source %s is down: %s; the other sources go on", self.spec.name, exc)
        since = self.state.since if self.state.state == "offline" else time.time()
        self.state = SourceState(self.spec.name, "offline", str(exc).splitlines()[0][:200], since, self.state.newest)
        self.retry_at = time.monotonic() + self.backoff * random.uniform(0.8, 1.2)
        self.backoff = min(self.backoff * 2, MAX_BACKOFF_S)

    def woke(self) -> None:
        """Its push said something (it reconnected, rows came): a source set aside is tried at once."""
        self.retry_at = 0.0

    def answered(self) -> None:
        if self.state.state != "online":
            if self.state.state == "offline":
                log.warning("source %s is back", self.spec.name)
            self.state = SourceState(self.spec.name, "online", newest=self.state.newest)
        self.backoff = 0.5

    def saw(self, newest: float) -> None:
        if self.state.newest is None or newest > self.state.newest:
            self.state = SourceState(self.state.name, self.state.state, self.state.reason, self.state.since, newest)


class SeveralSources:
    """The Connector interface over several named sources; see the module's docstring."""

    postgres = False  # people sign in to each platform's own console; this one watches them all

    def __init__(self, specs: list[SourceSpec], open_one: Callable[[str], Connector],
                 cached_reference: Callable[[], dict[str, list[dict]]] | None = None):
        several = len(specs) > 1
        self.sources: list[Source] = []
        try:
            for spec in specs:
                self.sources.append(Source(spec, open_one(spec.platform), several))
        except UserError as exc:
            self.close()
            raise UserError(f"source {spec.name!r}: {exc}") from None
        self.by_name = {s.spec.name: s for s in self.sources}
        self.shown = "sources " + ", ".join(f"{s.spec.name} ({s.connector.shown})" for s in self.sources)
        self.cached_reference = cached_reference  # the cache's reference data: a down source's last
        self._incident_source: dict[str, Source] = {}  # namespaced incident id -> the source it came from

    # -- what the engine and the header ask -----------------------------------------------
    def cursor_keys(self, stream: str) -> list[str]:
        return [f"{stream}@{s.spec.name}" for s in self.sources if s.gives(stream)]

    @property
    def source_states(self) -> tuple[SourceState, ...]:
        return tuple(s.state for s in self.sources)

    @property
    def note(self) -> str:
        """What the sources say of themselves on the wall (an MQTT broker keeps no history), each by name."""
        return " · ".join(f"{s.spec.name}: {note}" for s in self.sources if (note := getattr(s.connector, "note", "")))

    def _try(self, source: Source, call: Callable[[], object]) -> object | None:
        """``call()`` on a source that is up; None (and the source set aside) when it fails."""
        if not source.up:
            return None
        try:
            result = call()
        except PlatformUnavailable as exc:
            source.failed(exc)
            return None
        source.answered()
        return result

    def _all_down(self) -> None:
        if all(s.state.state == "offline" for s in self.sources):
            raise PlatformUnavailable("every source is down: " + "; ".join(
                f"{s.spec.name}: {s.state.reason}" for s in self.sources))

    # -- the Connector interface ----------------------------------------------------------
    def check(self) -> None:
        for source in self.sources:
            try:
                source.connector.check()
            except UserError as exc:
                raise UserError(f"source {source.spec.name!r}: {exc}") from None
            except PlatformUnavailable as exc:
                source.failed(exc)
        self._all_down()

    def reference(self) -> dict[str, list[dict]]:
        """Every source's reference data, namespaced; a down source's as last read (or as cached)."""
        merged: dict[str, list[dict]] = {t: [] for t in REFERENCE_TABLES}
        cached = None
        for source in self.sources:
            got = self._try(source, source.connector.reference)
            if got is not None:
                source.reference = {t: [source.ns.row(t, r) for r in got.get(t, [])] for t in REFERENCE_TABLES}
            elif source.reference is None and self.cached_reference is not None:
                cached = cached if cached is not None else self.cached_reference()
                source.reference = {t: [r for r in cached.get(t, []) if self._owner(t, r) is source]
                                    for t in REFERENCE_TABLES}
            for table, rows in (source.reference or {}).items():
                if not source.gives(table) or table == "city" and source is not self._city_source():
                    continue  # one city: the first source's that gives one names the wall
                merged[table] += rows
        self._all_down()
        return merged

    def _city_source(self) -> Source:
        return next((s for s in self.sources if s.spec.tables and "city" in s.spec.tables), self.sources[0])

    def _owner(self, table: str, row: dict) -> Source:
        """The source a cached reference row came from, by its namespaced id."""
        key = row.get("id")
        for source in self.sources:
            if source.ns.prefix and (source.ns.owns(key) or table == "indicators"
                                     and isinstance(key, int) and key // 1_000_000_000 == source.ns.slot):
                return source
        return next((s for s in self.sources if not s.ns.prefix), self.sources[0])

    def reference_stamp(self) -> int:
        for source in self.sources:
            stamp = getattr(source.connector, "reference_stamp", None)
            if stamp is not None and (got := self._try(source, stamp)) is not None:
                source.stamp = got
        return hash(tuple(s.stamp for s in self.sources))

    def fetch(self, key: str, after: Cursor, limit: int) -> tuple[list, Cursor]:
        stream, _, name = key.partition("@")
        source = self.by_name.get(name)
        if source is None:
            return [], after
        got = self._try(source, lambda: source.connector.fetch(stream, after, limit))
        if got is None:
            return [], after
        rows, cursor = got
        rows = [source.ns.row(stream, r) for r in rows]
        if stream == "readings" and rows:
            times = [r[2] for r in rows if isinstance(r, tuple) and len(r) == 5 and isinstance(r[2], float)]
            if times:
                source.saw(min(max(times), time.time()))
        if stream == "incident_events":
            for row in rows:
                if isinstance(row, dict) and isinstance(row.get("incident_id"), str):
                    self._incident_source[row["incident_id"]] = source
        return rows, cursor

    def take_rejected(self) -> list:
        out = []
        for source in self.sources:
            if (take := getattr(source.connector, "take_rejected", None)) is not None:
                out += take()
        return out

    def committed(self, cursors: dict[str, Cursor]) -> None:
        for source in self.sources:
            if (committed := getattr(source.connector, "committed", None)) is not None:
                mine = {k.partition("@")[0]: c for k, c in cursors.items() if k.partition("@")[2] == source.spec.name}
                if mine:
                    committed(mine)

    def incidents(self, ids: Collection[str]) -> list[dict]:
        found: list[dict] = []
        for source in self.sources:
            mine = {source.ns.strip(i) for i in ids if self._incident_source.get(i) is source}
            got = self._try(source, lambda: source.connector.incidents(mine)) if mine else None
            found += [source.ns.row("incidents", r) for r in got or []]
        return found

    def backlog(self, cursors: dict[str, Cursor]) -> int:
        total = 0
        for source in self.sources:
            mine = {k.partition("@")[0]: c for k, c in cursors.items() if k.partition("@")[2] == source.spec.name}
            total += self._try(source, lambda: source.connector.backlog(mine)) or 0
        return total

    def listen(self, on_notify: Callable[[str], None]) -> Listener | None:
        def notify(source: Source) -> Callable[[str], None]:
            def woke(table: str) -> None:
                source.woke()
                on_notify(table)
            return woke
        listeners = [s.connector.listen(notify(s)) for s in self.sources]
        return _Listeners(self, listeners)

    def held_back(self) -> HeldBack | None:
        for source in self.sources:
            if source.state.state == "online" and (held := self._try(source, source.connector.held_back)):
                return held
        return None

    def deliver(self, actions: list[dict]) -> Delivery:
        """Each action to the source its target belongs to (by namespace; the console's own to the first).

        Delivers what it can; raises ActionsRefused only when none could go (the engine's loop then
        stops until the next step, and the actions for a down or refusing source wait in the outbox)."""
        done = Delivery()
        why: list[str] = []
        for source in self.sources:
            mine = [a for a in actions if self._target_source(a) is source]
            if not mine:
                continue
            if not source.up:
                why.append(f"{source.spec.name} is down ({source.state.reason})")
                continue
            try:
                result = source.connector.deliver([source.ns.action_out(a) for a in mine])
            except PlatformUnavailable as exc:
                source.failed(exc)
                why.append(f"{source.spec.name} is down ({exc})")
                continue
            except ActionsRefused as exc:
                why.append(f"{source.spec.name}: {exc}")
                continue
            done.delivered += result.delivered
            done.problems |= result.problems
        if not done.delivered and not done.problems and actions:
            raise ActionsRefused("; ".join(why) or "no source takes these actions")
        return done

    def _target_source(self, action: dict) -> Source:
        target = action.get("target_id")
        return next((s for s in self.sources if s.ns.owns(target)),
                    next((s for s in self.sources if not s.ns.prefix), self.sources[0]))

    def close(self) -> None:
        for source in self.sources:
            source.connector.close()


class _Listeners:
    """Push from every source that has it: healthy only while each source that is up pushes
    (one that polls would otherwise wait for the slow heartbeat)."""

    def __init__(self, several: SeveralSources, listeners: list[Listener | None]):
        self.several, self.listeners = several, listeners

    @property
    def healthy(self) -> bool:
        pairs = zip(self.several.sources, self.listeners)
        return all(listener is not None and listener.healthy for source, listener in pairs
                   if source.state.state != "offline")

    def stop(self) -> None:
        for listener in self.listeners:
            if listener is not None:
                listener.stop()
