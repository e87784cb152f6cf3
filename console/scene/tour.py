"""The unattended tour for the wall: fly to each stop, orbit it slowly, go on, loop.

A pure function of elapsed time, so it holds no state to drift or get stuck (kiosk rotation
that gets stuck is a classic complaint, grafana #6727): pausing it while an alarm is active is
just not advancing the clock, and resuming continues exactly where it stopped. Each flight leaves
from where the previous orbit ended, so the loop has no jumps, the wrap included.
"""

from __future__ import annotations

from dataclasses import replace

from console.scene.camera import Flight, Pose


class Tour:
    def __init__(self, stops: list[tuple[str, Pose]], dwell_s: float = 20.0, flight_s: float = 4.0,
                 orbit_deg_per_s: float = 1.0) -> None:
        if not stops:
            raise ValueError("a tour needs at least one stop")
        if dwell_s < 0 or flight_s < 0 or dwell_s + flight_s <= 0:
            raise ValueError("a tour's dwell and flight times must be positive")
        self.stops = list(stops)
        self.dwell_s, self.flight_s, self.orbit_deg_per_s = float(dwell_s), float(flight_s), float(orbit_deg_per_s)
        self.leg_s = self.dwell_s + self.flight_s
        self.period_s = self.leg_s * len(self.stops)  # pose(t + period_s) == pose(t)

    def _orbit(self, index: int, t: float) -> Pose:
        pose = self.stops[index][1]
        return replace(pose, azimuth=(pose.azimuth + self.orbit_deg_per_s * t) % 360.0)

    def _leg(self, elapsed_s: float) -> tuple[int, float]:
        t = elapsed_s % self.period_s
        index = min(int(t // self.leg_s), len(self.stops) - 1)
        return index, t - index * self.leg_s

    def pose(self, elapsed_s: float) -> Pose:
        """Where the camera is ``elapsed_s`` seconds into the tour: flying to a stop, then orbiting it."""
        if len(self.stops) == 1:
            return self._orbit(0, elapsed_s)  # one stop: orbit it for ever
        index, into = self._leg(elapsed_s)
        if into < self.flight_s:
            start = self._orbit(index - 1, self.dwell_s)
            return Flight(start, self.stops[index][1], self.flight_s).pose(into)
        return self._orbit(index, into - self.flight_s)

    def stop(self, elapsed_s: float) -> tuple[int, str]:
        """Index and name of the stop being shown or flown to."""
        index = self._leg(elapsed_s)[0] if len(self.stops) > 1 else 0
        return index, self.stops[index][0]
