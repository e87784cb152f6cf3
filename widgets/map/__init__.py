"""The city map view and its layers; importing this package registers the "map" view."""

from widgets.map import view  # noqa: F401  (importing registers the view)
from widgets.map.view import MapView

__all__ = ["MapView"]
