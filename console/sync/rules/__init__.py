"""The rules platform rows must pass before they are cached, one set per table (see console/sync/validate.py)."""
