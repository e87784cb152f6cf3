"""CAP 1.2 XML in and out, checked against the official OASIS schema (resources/cap/CAP-v1.2.xsd).

``read_alerts`` takes what a file or a URL holds (one alert, an Atom or RSS feed of alerts, or
any document with alerts inside) and returns each alert as a model ``Alert`` or as a one-line
problem naming the alert: a bad alert never stops the good ones beside it. The parser is
hardened (no entities, no network, no DTDs), so hostile XML is a problem line too.
``write_alert`` makes the XML of an alert; the caller validates it (``problems_of``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from console.cap.model import Alert, Area, Info, Invalid, check
from console.cap.times import cap_time, parse_time

NS = "urn:oasis:names:tc:emergency:cap:1.2"
OLDER = ("urn:oasis:names:tc:emergency:cap:1.1", "urn:oasis:names:tc:emergency:cap:1.0")
ATOM = "http://www.w3.org/2005/Atom"
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "resources" / "cap" / "CAP-v1.2.xsd"
MAX_DOCUMENT = 20 * 1024 * 1024  # bytes: a feed larger than this is not a warning feed
MAX_LINKS = 200  # alerts a feed may link to, fetched one by one


@dataclass(frozen=True)
class Problem:
    """A bad alert (or a bad document): ``where`` names it, ``why`` says what is wrong, on one line."""

    where: str
    why: str

    def line(self) -> str:
        return f"{self.where}: {self.why}"


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_blank_text=False)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def read_alerts(data: bytes, source: str, fetch: Callable[[str], bytes] | None = None
                ) -> Iterator[Alert | Problem]:
    """Every alert in ``data`` (from ``source``, named in problems), in document order.

    Atom entries and RSS items that link to an alert instead of holding it are fetched with
    ``fetch`` (a URL feed); without it (a file) such links are named as skipped."""
    if len(data) > MAX_DOCUMENT:
        yield Problem(source, f"{len(data) / 1e6:.0f} MB is too large for a warning feed")
        return
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        yield Problem(source, f"not XML ({_one_line(exc)})")
        return
    if root is None:
        yield Problem(source, "an empty document")
        return
    alerts = [root] if _is_alert(root) else [e for e in root.iter(etree.Element) if _is_alert(e)]
    for n, element in enumerate(alerts, 1):
        yield _alert_or_problem(element, source, n)
    if alerts:
        return
    links = _feed_links(root)
    if not links:
        yield Problem(source, f"holds no CAP 1.2 alert (root element {_one_line(root.tag, 80)})")
        return
    if fetch is None:
        yield Problem(source, f"links to {len(links)} alerts instead of holding them: give the feed's URL")
        return
    for link in links[:MAX_LINKS]:
        try:
            linked = fetch(link)
        except OSError as exc:
            yield Problem(link, f"cannot be fetched ({_one_line(exc)})")
            continue
        yield from read_alerts(linked, link, None)


def _is_alert(e: etree._Element) -> bool:
    return isinstance(e.tag, str) and etree.QName(e).localname == "alert" and etree.QName(e).namespace in (NS, *OLDER)


def _feed_links(root: etree._Element) -> list[str]:
    """The alert links of an Atom feed (each entry's link) or an RSS feed (each item's link)."""
    links = []
    for entry in root.iter(f"{{{ATOM}}}entry"):
        hrefs = [lk.get("href") for lk in entry.iter(f"{{{ATOM}}}link")
                 if lk.get("href") and lk.get("rel", "alternate") in ("alternate", "related")]
        ids = [i.text for i in entry.iter(f"{{{ATOM}}}id") if i.text and i.text.startswith("http")]
        if hrefs or ids:
            links.append((hrefs or ids)[0])
    for item in root.iter("item"):
        link = item.find("link")
        if link is not None and link.text and link.text.strip():
            links.append(link.text.strip())
    return [u for u in dict.fromkeys(links) if u.startswith(("http://", "https://"))]


def _alert_or_problem(element: etree._Element, source: str, n: int) -> Alert | Problem:
    ident = element.findtext(f"{{{etree.QName(element).namespace}}}identifier")
    where = f"{source} alert {_one_line(ident.strip(), 80) if ident and ident.strip() else f'#{n} (no identifier)'}"
    if etree.QName(element).namespace != NS:
        return Problem(where, f"is CAP {etree.QName(element).namespace.rsplit(':', 1)[-1]}; this console reads CAP 1.2")
    problem = problems_of(element)
    if problem:
        return Problem(where, problem)
    try:
        return check(_to_alert(element))
    except Invalid as exc:
        return Problem(where, str(exc))
    except ValueError as exc:
        return Problem(where, _one_line(exc))


def problems_of(element: etree._Element) -> str | None:
    """The first way ``element`` breaks the official schema, on one line (None: valid)."""
    copy = etree.fromstring(etree.tostring(element), _parser())  # alone: a feed's other elements aside
    validator = schema()
    if validator.validate(copy):
        return None
    error = validator.error_log[0]
    message = error.message.replace(f"{{{NS}}}", "")
    line = error.line + (element.sourceline or 1) - 1  # the line in the document it came from
    return _one_line(f"not valid CAP 1.2 (line {line}: {message})")


def _t(e: etree._Element, name: str) -> str:
    return (e.findtext(f"{{{NS}}}{name}") or "").strip()


def _all(e: etree._Element, name: str) -> list[etree._Element]:
    return e.findall(f"{{{NS}}}{name}")


def _points(text: str) -> tuple[tuple[float, float], ...]:
    points = []
    for pair in text.split():
        lat, lon = (float(v) for v in pair.split(","))
        points.append((lon, lat))
    return tuple(points)


def _area(e: etree._Element) -> Area:
    polygons = []
    for p in _all(e, "polygon"):
        try:
            polygons.append(_points(p.text or ""))
        except ValueError:
            raise Invalid(f"polygon {_one_line(p.text or '', 40)!r} is not 'lat,lon lat,lon ...'") from None
    circles, district = [], None
    for c in _all(e, "circle"):
        try:
            centre, radius = (c.text or "").split()
            ((lon, lat),) = _points(centre)
            circles.append((lon, lat, float(radius)))
        except ValueError:
            raise Invalid(f"circle {_one_line(c.text or '', 40)!r} is not 'lat,lon radius'") from None
    for g in _all(e, "geocode"):
        if _t(g, "valueName") == "cityops:district":
            district = _t(g, "value") or None
    return Area(desc=_t(e, "areaDesc"), polygons=tuple(polygons), circles=tuple(circles), district=district)


def _time_or_none(text: str) -> float | None:
    return parse_time(text) if text else None


def _info(e: etree._Element) -> Info:
    return Info(language=_t(e, "language") or "en-US", event=_t(e, "event"), severity=_t(e, "severity"),
                urgency=_t(e, "urgency"), certainty=_t(e, "certainty"),
                categories=tuple((c.text or "").strip() for c in _all(e, "category")),
                headline=_t(e, "headline"), description=_t(e, "description"), instruction=_t(e, "instruction"),
                sender_name=_t(e, "senderName"), onset=_time_or_none(_t(e, "onset") or _t(e, "effective")),
                expires=_time_or_none(_t(e, "expires")), areas=tuple(_area(a) for a in _all(e, "area")))


def _to_alert(e: etree._Element) -> Alert:
    sent = _t(e, "sent")
    return Alert(identifier=_t(e, "identifier"), sender=_t(e, "sender"), sent=parse_time(sent),
                 status=_t(e, "status"), msg_type=_t(e, "msgType"), infos=tuple(_info(i) for i in _all(e, "info")),
                 references=tuple(_t(e, "references").split()), scope=_t(e, "scope"), note=_t(e, "note"),
                 sent_text=sent)


# -- writing -------------------------------------------------------------------------------------
def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        child.text = text
    return child


def _pairs(ring: tuple[tuple[float, float], ...]) -> str:
    return " ".join(f"{round(lat, 6)},{round(lon, 6)}" for lon, lat in ring)


def write_alert(alert: Alert, districts: dict[str, dict] | None = None) -> bytes:
    """The CAP 1.2 XML of ``alert``; an area naming a district gets that district's outline from
    ``districts`` (id -> {"name", "rings": outer rings of (lon, lat)}) and a geocode naming it."""
    root = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})
    for name, value in (("identifier", alert.identifier), ("sender", alert.sender),
                        ("sent", alert.sent_text or cap_time(alert.sent)), ("status", alert.status),
                        ("msgType", alert.msg_type), ("scope", alert.scope)):
        _sub(root, name, value)
    if alert.note:
        _sub(root, "note", alert.note)
    if alert.references:
        _sub(root, "references", " ".join(alert.references))
    for info in alert.infos:
        block = _sub(root, "info")
        _sub(block, "language", info.language)
        for category in info.categories:
            _sub(block, "category", category)
        _sub(block, "event", info.event)
        for name in ("urgency", "severity", "certainty"):
            _sub(block, name, getattr(info, name))
        if info.onset is not None:
            _sub(block, "onset", cap_time(info.onset))
        if info.expires is not None:
            _sub(block, "expires", cap_time(info.expires))
        for name, value in (("senderName", info.sender_name), ("headline", info.headline),
                            ("description", info.description), ("instruction", info.instruction)):
            if value:
                _sub(block, name, value)
        for area in info.areas:
            _write_area(_sub(block, "area"), area, districts or {})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _write_area(element: etree._Element, area: Area, districts: dict[str, dict]) -> None:
    known = districts.get(area.district) if area.district else None
    _sub(element, "areaDesc", area.desc or (known or {}).get("name", "") or "area")
    rings = list(area.polygons) + [tuple(r) for r in (known or {}).get("rings", ())]
    for ring in rings:
        _sub(element, "polygon", _pairs(ring))
    for lon, lat, radius in area.circles:
        _sub(element, "circle", f"{round(lat, 6)},{round(lon, 6)} {radius:g}")
    if area.district:
        code = _sub(element, "geocode")
        _sub(code, "valueName", "cityops:district")
        _sub(code, "value", area.district)
