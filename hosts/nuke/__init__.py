"""Nuke host: the camera as a ``.chan`` file (no Nuke needed)."""
