"""A throwaway OGC SensorThings API 1.1 server for the tests: django-ogc-sensorthings from PyPI, in its own venv."""
