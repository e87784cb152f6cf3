"""The emergency plan repository: one plan per incident kind, as the operators' checklist."""

from __future__ import annotations

import json

from console.model.vocab import INCIDENT_KINDS

PLANS: dict[str, tuple[str, list[str]]] = {
    "traffic_accident": ("Road traffic accident", [
        "Confirm location, lanes affected and number of vehicles with the caller or a traffic camera.",
        "Dispatch the nearest patrol; add an ambulance if anyone is injured.",
        "Set diversions on the traffic control system and warn trams and buses on the route.",
        "Request a tow truck once the police have finished on scene.",
        "Reopen lanes, reset signal plans and post an all-clear on the traffic feed.",
    ]),
    "waterlogging": ("Urban flooding and waterlogging", [
        "Check drainage well levels and rain radar for the district; confirm depth on camera.",
        "Dispatch a utility crew with a mobile pump; close underpasses that exceed 20 cm.",
        "Divert traffic and public transport away from flooded streets.",
        "Warn residents of basements in the district through the 12345 hotline and alerts.",
        "Clear blocked drain grates; monitor levels until they fall below the warning line.",
        "Reopen streets after inspection; log damage for the water utility.",
    ]),
    "fire_alarm": ("Automatic fire alarm", [
        "Call the building's contact to confirm or cancel the alarm.",
        "Dispatch the nearest fire engine unless the alarm is cancelled as false.",
        "If smoke or fire is confirmed, escalate to a full response and evacuate.",
        "Keep access roads clear; hold traffic at the nearest junctions.",
        "Reset the alarm panel with the building owner and record the cause.",
    ]),
    "gas_leak": ("Gas leak", [
        "Dispatch the fire service and notify the gas network control room.",
        "Cordon off at least 50 m and stop traffic; no ignition sources.",
        "Evacuate buildings downwind if readings exceed the lower explosive limit.",
        "Gas crew isolates the pipe section; monitor readings continuously.",
        "Lift the cordon only when readings are normal on two consecutive checks.",
        "Inform residents and record the repair.",
    ]),
    "power_outage": ("Power outage", [
        "Confirm the affected area and customers with grid control.",
        "Check critical sites in the area: hospitals, pumping stations, traffic lights.",
        "Dispatch a utility crew; send police to dark signalised junctions.",
        "Switch in backup feeds where available; deploy generators for critical sites.",
        "Confirm restoration with grid control and stand down.",
    ]),
    "building_safety": ("Building-safety alert", [
        "Check the structural sensors (tilt, strain) of the building against their limits.",
        "Send a UAV or crew to survey the facade; close the pavement beneath it.",
        "Call in the duty structural engineer; evacuate if movement continues.",
        "Secure loose elements and keep the area closed until the engineer signs off.",
        "Order repairs and schedule follow-up monitoring.",
    ]),
    "hotline_cluster": ("Cluster of 12345 hotline complaints", [
        "Group the calls on the map and confirm they share one cause.",
        "Send a field inspector to verify the cause on site.",
        "Assign the responsible department and give callers a reference number.",
        "Post a public notice if the issue affects many residents.",
        "Close the cluster when the cause is fixed and callers are informed.",
    ]),
}


def plan_rows() -> list[dict]:
    assert set(PLANS) == set(INCIDENT_KINDS)
    return [{"id": f"PLAN-{kind.upper().replace('_', '-')}", "incident_kind": kind, "title": title,
             "steps": json.dumps(steps, ensure_ascii=False)} for kind, (title, steps) in PLANS.items()]
