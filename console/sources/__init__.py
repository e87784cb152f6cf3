"""Connectors for the open standards a city already runs (SensorThings, MQTT and Sparkplug B, NATS, feeds)."""
