"""The Qt views a layout can place on a screen, registered by name in ``widgets.base.VIEWS``."""

from widgets import (alarms, health, incident_detail, incidents, map, rain_impact, tiles, timeline,  # noqa: F401
                     trend, warning_desk)  # (importing registers the views)
from widgets.scene import view as _scene3d  # noqa: F401  (registers "scene3d"; VTK loads only when one is built)
from widgets.base import VIEWS, View, ViewContext, view_params

__all__ = ["VIEWS", "View", "ViewContext", "view_params"]
