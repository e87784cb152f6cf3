"""The Qt shell: opens a layout's screens, wires sync → store → views. The only Qt in console/."""
