"""CityOps Console: the operations-centre program. The core below this package imports no Qt."""

__version__ = "0.1.0"
