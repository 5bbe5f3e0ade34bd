"""Alembic host: the camera and object transforms as an .abc through Blender's exporter."""
