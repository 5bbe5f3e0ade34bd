"""Blender host: write Channels to a .blend with layered actions (bpy imported lazily)."""
