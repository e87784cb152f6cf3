"""The demo central platform: a simulated, deterministic city on real Helsinki geography.

``create_platform(url, hours, seed, end)`` builds the platform database (SQLite or PostgreSQL)
with reference data and hours of history; ``DemoFeeder(url)`` continues the same model live.
Modules: ``timebase`` (seeds, days, local time), ``geo`` (the city as the model sees it),
``indicators`` (catalogue), ``signals`` (value models), ``scenario`` (storms), ``incidents``,
``units``, ``plans``, ``simulation`` (ties them together), ``db``, ``create``, ``feeder``.
"""

from console.platform.create import create_platform, read_scenario
from console.platform.feeder import DemoFeeder

__all__ = ["DemoFeeder", "create_platform", "read_scenario"]
