"""The interface's translations: Qt Linguist catalogues and their compiled .qm files (see README.md)."""
