"""Checks on platform rows before they reach the cache: a bad row is set aside, never fatal.

The platform is not ours: an SQLite platform stores any type in any column, PostgreSQL drivers
hand over ``Decimal``, NaN and inf, a broken feed writes absurd times, megabyte notes or a
district at 1e308, and a hostile one hides bidirectional overrides in a title. Every table,
reference data included, has one set of rules (console/sync/rules/: readings in bulk, every
other table column by column). Rows that pass come back normalised (the schema's types, display
text cleaned, geometry repaired), so sqlite3 can bind them and every view can draw them; the
others come back as ``Rejected`` with a reason, for the cache's ``quarantine`` table and one log
line (``summary``), so a sync step always completes.
"""

from __future__ import annotations

from console.sync.rules.common import MAX_FUTURE_S, MAX_PAST_S, MAX_TEXT, Rejected, summary
from console.sync.rules.readings import QUALITIES, check_readings
from console.sync.rules.tables import check_reference, check_rows

__all__ = ["MAX_FUTURE_S", "MAX_PAST_S", "MAX_TEXT", "QUALITIES", "Rejected", "check_readings", "check_reference",
           "check_rows", "summary"]
