"""``--host alembic``: Channels to an .abc through Blender's own Alembic exporter (issue 17).

The scene is built as the .blend writer builds it and exported with
``bpy.ops.wm.alembic_export`` (:func:`moks_graph.hosts.blender.interchange.export_interchange`):
the camera is an Alembic camera (its transform and, per sample, focal length, film back, focus
distance and f-stop), and every light and null is an xform with its animated transform
(Alembic has no light schema: a light's intensity, colour, size and cone are **not** in the
file). Alembic's own axes are Y-up metres; Blender's exporter and importer convert.
"""

from __future__ import annotations

import os
from pathlib import Path

from moks_graph.channels import Channels
from moks_graph.hosts.output_paths import output_path
from moks_graph.hosts.writer_channels import check_kinds

#: Suffixes the Alembic writer accepts.
SUFFIXES: tuple[str, ...] = (".abc",)
#: Object kinds an .abc bake takes (an atmosphere has no transform: it is left out).
ALEMBIC_KINDS: frozenset[str] = frozenset(
    {"camera", "light.point", "light.spot", "light.area", "light.sun", "null", "atmosphere"})


def write_abc(channels: Channels, path: str | os.PathLike[str]) -> Path:
    """Write ``channels`` to the .abc at ``path`` atomically; returns the path.

    ``TypeError``/``ValueError`` for bad input (before any Blender work), ``OSError`` when
    the file cannot be written (nothing is left at ``path`` then). Replaces the Blender
    session's data, like the .blend writer.
    """
    output_path(path, SUFFIXES)
    check_kinds(channels, ALEMBIC_KINDS, "Alembic")
    from moks_graph.hosts.blender.interchange import export_interchange

    return export_interchange(channels, path)
