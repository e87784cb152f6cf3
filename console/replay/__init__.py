"""Recording and replay: bundles of a stretch of the city, and the source that replays them (Qt-free)."""
