"""Sync: platform -> cache, handing batches on to the store."""
