"""The SH ambient in the host file: a small lat-long environment image and each host's own ambient.

Entry points: :func:`write_ambient`, :func:`usd_ambient`, :func:`blender_ambient`,
:func:`maya_ambient_lines`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsambientpy
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph.atomic import atomic_output
from moks_graph.graph import Graph
from moks_graph.types import SH9

from .look import single_feature_refs

#: Node types whose SH9 output is the bake's ambient.
AMBIENT_TYPES: frozenset[str] = frozenset({"moks.lighting.sh_preset", "moks.lighting.project_sh"})
#: USD prim path, Blender node names, Maya node names, metadata key.
USD_DOME = "/World/Ambient"
USD_KEY = "moks:ambient"
BLENDER_TEXTURE_NODE = "MOKS ambient texture"
BLENDER_BACKGROUND_NODE = "MOKS ambient"
MAYA_DOME = "moks_ambient"
MAYA_FILE = "moks_ambient_file"
#: The Arnold plug-in the skydome needs (``requires -nodeType "aiSkyDomeLight" "mtoa" ...``).
MTOA_VERSION = "5.0"
#: Maya ``aiSkyDomeLight.format`` value of a lat-long map.
MAYA_LATLONG = 2


@dataclass(frozen=True)
class AmbientFiles:
    """An ambient written beside a host file: the coefficients, the image and its exposure."""

    coeffs: np.ndarray
    image: Path
    exposure: float
    #: The files this bake created (not there before): what a failed bake removes.
    created: tuple[Path, ...] = ()

    @property
    def strength(self) -> float:
        """``2**exposure``: what the texture is multiplied by to be radiance again."""
        return float(2.0**self.exposure)

    def paths(self) -> tuple[Path, ...]:
        return (self.image,)


def ambient_refs(graph: Graph) -> list[str]:
    """``"node.port"`` of the graph's SH ambient (none, or one); ``ValueError`` naming the
    nodes when there are several."""
    return single_feature_refs(graph, AMBIENT_TYPES, SH9, "SH ambients", "--no-ambient")


def add_sky_ambient(graph: Graph, sky: str) -> str:
    """Add a ``sky`` procedural sky projected to SH (the bake's ambient; ``moks scene
    --ambient``); returns the SH node's id."""
    source = graph.add_node("moks.lighting.procedural_sky", "ambient_sky",
                            {"sky": sky, "height": 64}, {"pos": [900, 420]})
    sh = graph.add_node("moks.lighting.project_sh", "ambient", {}, {"pos": [1100, 420]})
    graph.connect(f"{source}.hdri", f"{sh}.hdri")
    return sh


def ambient_image_path(target: Path, coeffs: np.ndarray) -> Path:
    """``moks_ambient_<first 12 hex digits of the coefficients' SHA-256>.exr`` beside
    ``target``."""
    digest = hashlib.sha256(np.ascontiguousarray(coeffs, dtype="<f8").tobytes()).hexdigest()
    return target.with_name(f"moks_ambient_{digest[:12]}.exr")


def write_exr(path: Path, image: np.ndarray) -> None:
    """A float32 RGB OpenEXR through OpenImageIO, atomically; ``OSError`` when it fails.
    Reproducible: the header's capture date (``capDate``, otherwise the time of writing) is
    left empty, so a farm bake and a plain bake write the same bytes."""
    import OpenImageIO as oiio

    pixels = np.ascontiguousarray(image, dtype=np.float32)
    with atomic_output(path) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None:
            raise OSError(f"OpenImageIO cannot write {path}: {oiio.geterror()}")
        spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], 3, "float")
        spec.attribute("DateTime", "")  # no capture date: the same coefficients, the same bytes
        ok = out.open(str(tmp), spec) and out.write_image(pixels)
        out.close()
        if not ok:
            raise OSError(f"OpenImageIO cannot write {path}: {out.geterror()}")


def write_ambient(target: Path, coeffs: Any) -> AmbientFiles:
    """Write the environment image of ``coeffs`` beside ``target``."""
    from moks_graph.nodes.environment.ambient import exposure_split, sh_environment

    c = np.asarray(coeffs, dtype=np.float64).reshape(9, 3)
    texture, exposure = exposure_split(sh_environment(c))
    image = ambient_image_path(target, c)
    created = () if image.exists() else (image,)
    write_exr(image, texture)
    return AmbientFiles(c, image, exposure, created)


# ---------------------------------------------------------------------------------- USD


def usd_ambient(stage: Any, files: AmbientFiles, up_axis: str) -> None:
    """The DomeLight at :data:`USD_DOME` (module doc)."""
    from pxr import Gf, Sdf, UsdGeom, UsdLux, Vt

    dome = UsdLux.DomeLight.Define(stage, USD_DOME)
    dome.CreateTextureFileAttr(Sdf.AssetPath(f"./{files.image.name}"))
    dome.CreateTextureFormatAttr(UsdLux.Tokens.latlong)
    dome.CreateIntensityAttr(1.0)
    dome.CreateExposureAttr(float(files.exposure))
    if up_axis == "Z":
        UsdGeom.Xformable(dome).AddRotateXYZOp().Set(Gf.Vec3f(90.0, 0.0, 0.0))
    dome.GetPrim().SetCustomDataByKey(USD_KEY, Vt.DoubleArray(files.coeffs.ravel().tolist()))


# ---------------------------------------------------------------------------------- Blender


def blender_ambient(bpy: Any, scene: Any, files: AmbientFiles) -> Any:
    """The scene world's background from the image (module doc); returns the world."""
    world = scene.world
    if world is None:
        world = bpy.data.worlds.new("MOKS ambient")
        scene.world = world
    tree = world.node_tree
    output = next(n for n in tree.nodes if n.bl_idname == "ShaderNodeOutputWorld")
    background = next((n for n in tree.nodes if n.bl_idname == "ShaderNodeBackground"), None)
    if background is None:
        background = tree.nodes.new("ShaderNodeBackground")
    background.name = background.label = BLENDER_BACKGROUND_NODE
    background.inputs["Strength"].default_value = files.strength
    texture = tree.nodes.new("ShaderNodeTexEnvironment")
    texture.name = texture.label = BLENDER_TEXTURE_NODE
    image = bpy.data.images.load(str(files.image.resolve()))
    image.filepath = f"//{files.image.name}"
    image.colorspace_settings.name = "Linear Rec.709"
    texture.image = image
    tree.links.new(texture.outputs["Color"], background.inputs["Color"])
    tree.links.new(background.outputs["Background"], output.inputs["Surface"])
    return world


# ---------------------------------------------------------------------------------- Maya


def maya_ambient_lines(files: AmbientFiles) -> list[str]:
    """The skydome, its file texture and their connections, as ``.ma`` lines."""
    from .maya.ma_writer import fmt, quote

    shape = MAYA_DOME + "Shape"
    return [
        f"requires -nodeType \"aiSkyDomeLight\" \"mtoa\" {quote(MTOA_VERSION)};",
        f"createNode transform -n {quote(MAYA_DOME)};",
        f"createNode aiSkyDomeLight -n {quote(shape)} -p {quote(MAYA_DOME)};",
        f'\tsetAttr ".format" {MAYA_LATLONG};',
        f'\tsetAttr ".intensity" {fmt(files.strength)};',
        f"createNode file -n {quote(MAYA_FILE)};",
        f'\tsetAttr ".ftn" -type "string" {quote(files.image.name)};',
        f"connectAttr {quote(MAYA_FILE + '.oc')} {quote(shape + '.color')};",
        f"connectAttr {quote(MAYA_DOME + '.iog')} \":defaultLightSet.dsm\" -na;",
        f"connectAttr {quote(shape + '.ltd')} \":lightList1.l\" -na;",
    ]
