"""The 3D district scene's core, free of Qt and VTK: the metric frame, building meshes merged into
chunks with per-building numbers, ground layers, camera poses and flights, the unattended tour,
colours and sensor links. ``widgets/scene`` draws what this builds.
"""
