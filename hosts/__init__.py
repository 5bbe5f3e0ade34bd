"""Host adapters: USD, Blender, Maya, Unreal.

Hosts read :class:`moks_graph.channels.Channels` and write host data. They
contain no rig or light math: only unit/axis conversion (``hosts.units``) and
key writing. Host libraries (pxr, bpy, maya, unreal) are imported lazily.
"""
