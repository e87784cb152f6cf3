"""The city map's Qt-free core: projection, clustering, heat grid, label placement, live layers."""

from console.map.cluster import Clusters, cluster, fan_out
from console.map.features import CityGeometry, city_geometry, reference_bounds
from console.map.heat import HeatGrid, heat_grid, parse_window
from console.map.labels import Label, Placed, place_labels
from console.map.projection import Projection

__all__ = ["CityGeometry", "Clusters", "HeatGrid", "Label", "Placed", "Projection", "city_geometry", "cluster",
           "fan_out", "heat_grid", "parse_window", "place_labels", "reference_bounds"]
