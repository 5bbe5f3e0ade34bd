"""``match_image``: a reference still in, a matched SceneScript (and bake graph) out.

The loop, for one reference::

    load -> resample to the preview size -> analyse (signature) -> fuse (slot fusers)
         -> calibrate (<= max_iterations LM steps) -> critique (inspector)
         -> discrete alternatives the critique proposes (rim mode, film stock), each
            calibrated from the fused start with the change -> the lowest residual wins

Loading (:func:`load_reference`): ``imageio`` for PNG (8/16-bit, grey, RGBA, palette; a
16-bit RGB PNG comes through Pillow with its high byte, 16-bit grey with all 16 bits),
JPEG, TIFF and whatever else its plugins read; Radiance ``.hdr`` with the built-in RGBE
decoder of :mod:`moks_graph.nodes.lighting.hdri`; OpenEXR where an imageio plugin reads it.
Integer pixels are sRGB display values, float pixels linear
(:func:`~moks_graph.nodes.imaging.image_input.as_linear_rgb`). An unreadable or non-image
file raises a ``ValueError`` naming the file.

The preview has the reference's aspect ratio: 512 pixels wide
(:data:`~moks_graph.nodes.inverse.interfaces.PREVIEW_SIZE`), and the reference is
area-resampled to the same size before it is measured, so reference and preview share
one analysis grid (the calibration measures previews on the reference's subject).

A frame without exposure information - all black (99th percentile of luminance below
``2**-12``) or all white (more than 98 % of the pixels at display white in every channel) -
gives a result with ``status="failed"`` and the message ``"cannot match: no exposure
information"`` (the numbers are then the default SceneScript's), not an exception.

:func:`write_match` writes ``DIR/<stem>/match.json``, ``scene.mgraph``
(:func:`~moks_graph.nodes.scenescript.compile.compile_scene`), ``preview.png`` (sRGB 8-bit)
and ``compare.png`` (reference | preview), each atomically.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from moks_graph.graph import Graph
from moks_graph.nodes.imaging.colorimetry import LUMINANCE_WEIGHTS, srgb_encode
from moks_graph.nodes.imaging.image_input import as_linear_rgb
from moks_graph.nodes.imaging.io import load_image
from moks_graph.nodes.inverse.calibrate import CalibrationResult, analyse, calibrate
from moks_graph.nodes.inverse.critique import OfflineInspector
from moks_graph.nodes.inverse.fuse import fuse, signature
from moks_graph.nodes.inverse.interfaces import (
    Critiques,
    ForwardModel,
    Inspector,
    MatchResult,
)
from moks_graph.nodes.inverse.render import BuiltinRenderer, preview_size, resample
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.schema import SceneScript

NO_EXPOSURE: Final[str] = "cannot match: no exposure information"
FORWARD_MODELS: Final[tuple[str, ...]] = ("builtin", "blender")
INSPECTORS: Final[tuple[str, ...]] = ("offline", "anthropic", "openai", "gemini")
#: Discrete fields the critique may change (they are tried, calibrated, and kept if better).
DISCRETE_FIELDS: Final[frozenset[tuple[str, str]]] = frozenset({("fill_rim", "rim"),
                                                                ("look", "stock")})
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


# --------------------------------------------------------------------------- lookups


def forward_model(forward: str | ForwardModel = "builtin", **options: Any) -> ForwardModel:
    """A forward model by name (``builtin``, ``blender``) or passed through.

    ``blender`` is :class:`moks_graph.hosts.blender.forward.BlenderRenderer`,
    imported on first use (``options`` go to its constructor).
    """
    if not isinstance(forward, str):
        if isinstance(forward, ForwardModel):
            return forward
        raise TypeError(f"forward: expected a name or a ForwardModel, got "
                        f"{type(forward).__name__}")
    name = forward.strip().lower()
    if name == "builtin":
        return BuiltinRenderer(**options)
    if name == "blender":
        try:
            module = importlib.import_module("moks_graph.hosts.blender.forward")
            cls = module.BlenderRenderer
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"forward: the Blender forward model is not available in this "
                             f"installation ({type(exc).__name__}: {exc})") from None
        return cls(**options)
    raise ValueError(f"forward: unknown forward model {forward!r}; choose one of "
                     f"{', '.join(FORWARD_MODELS)}")


def make_inspector(inspector: str | Inspector = "offline", **options: Any) -> Inspector:
    """An inspector by name (``offline``; ``anthropic``/``openai``/``gemini`` through
    :func:`moks_graph.hosts.inverse.inspectors_remote.make_inspector`) or passed through."""
    if not isinstance(inspector, str):
        if isinstance(inspector, Inspector):
            return inspector
        raise TypeError(f"inspector: expected a name or an Inspector, got "
                        f"{type(inspector).__name__}")
    name = inspector.strip().lower()
    if name == "offline":
        return OfflineInspector()
    if name not in INSPECTORS:
        raise ValueError(f"inspector: unknown inspector {inspector!r}; choose one of "
                         f"{', '.join(INSPECTORS)}")
    try:
        module = importlib.import_module("moks_graph.hosts.inverse.inspectors_remote")
        factory = module.make_inspector
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"inspector: the remote inspectors are not available in this "
                         f"installation ({type(exc).__name__}: {exc})") from None
    return factory(name, **options)


# --------------------------------------------------------------------------- images


def load_reference(source: str | os.PathLike[str] | np.ndarray) -> np.ndarray:
    """A reference as float32 ``H x W x 3`` linear RGB (see :func:`load_image`)."""
    if isinstance(source, np.ndarray):
        return as_linear_rgb(source, "image")
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"image: expected a path or an array, got {type(source).__name__}")
    return load_image(source)


def exposure_problem(image: np.ndarray) -> str | None:
    """:data:`NO_EXPOSURE` for an all-black or all-white frame, else ``None``."""
    lum = image.astype(np.float64) @ LUMINANCE_WEIGHTS
    if float(np.percentile(lum, 99.0)) < 2.0**-12:
        return NO_EXPOSURE
    if float(np.mean(image.min(axis=2) >= 0.98)) > 0.98:
        return NO_EXPOSURE
    return None


# --------------------------------------------------------------------------- the loop


@dataclass
class MatchOutcome:
    """Everything one match produced: the result, the script, images and critiques."""

    result: MatchResult
    script: SceneScript | None
    reference: np.ndarray
    preview: np.ndarray | None
    signature: dict[str, float] = field(default_factory=dict)
    critiques: Critiques | None = None
    candidates: list[tuple[str, float]] = field(default_factory=list)


def _image_name(source: object, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, str | os.PathLike):
        return str(source)
    return "<array>"


def _result(name: str, script: SceneScript, *, iterations: int, residual: float,
            seconds: float, forward: str, inspector: str, status: str = "matched",
            message: str = "") -> MatchResult:
    fr = script.fill_rim
    return MatchResult(
        image=name, key_azimuth_deg=script.key.azimuth_deg,
        key_elevation_deg=script.key.elevation_deg, key_fill_ratio=fr.key_fill_ratio,
        key_cct_K=script.key.cct_K, rim=fr.rim != "none", rim_mode=fr.rim,
        haze=script.atmosphere.phi, film_stock=script.look.stock, iterations=iterations,
        residual=residual, seconds=seconds, forward=forward, inspector=inspector,
        status=status, message=message[:2000],
        script=script.model_dump(mode="json") if status == "matched" else {})


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS limited to one thread (``threadpoolctl``, when installed) for the duration.

    Multi-threaded BLAS splits long dot products differently with the thread count, which
    moves results in the last bits; Dask workers run BLAS on one thread, so the in-process
    path does too and a match is bit-identical whatever the worker count.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def match(source: str | os.PathLike[str] | np.ndarray, forward: str | ForwardModel = "builtin",
          inspector: str | Inspector = "offline", *, max_iterations: int = 2,
          alternatives: int = 3, base: SceneScript | None = None,
          name: str | None = None,
          library: str | os.PathLike[str] | None = None) -> MatchOutcome:
    """Match one reference (module docstring); the full :class:`MatchOutcome`.

    ``max_iterations``: LM steps per calibration (default 2). ``alternatives``: how many
    discrete critiques (rim mode, stock) to try. ``base``: known slots (e.g. the subject
    kind) the fusers start from. ``name``: the ``image`` field of the result.
    ``library``: a calibration library (SQLite file, safe for concurrent workers): its
    most vital entry whose tags match what was measured about this still
    (:func:`~moks_graph.hosts.inverse.library.still_tags`) seeds a second calibration
    (:func:`~moks_graph.hosts.inverse.library.warm_seed`: its lighting, the still's own
    stock and rim mode), and an accepted match is stored back under those tags.
    """
    with single_threaded_blas():
        return _match(source, forward, inspector, max_iterations=max_iterations,
                      alternatives=alternatives, base=base, name=name, library=library)


def _match(source: str | os.PathLike[str] | np.ndarray, forward: str | ForwardModel,
           inspector: str | Inspector, *, max_iterations: int, alternatives: int,
           base: SceneScript | None, name: str | None,
           library: str | os.PathLike[str] | None = None) -> MatchOutcome:
    t0 = time.perf_counter()
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) \
            or max_iterations < 0:
        raise ValueError(f"max_iterations: expected an int >= 0, got {max_iterations!r}")
    if isinstance(alternatives, bool) or not isinstance(alternatives, int) or alternatives < 0:
        raise ValueError(f"alternatives: expected an int >= 0, got {alternatives!r}")
    model = forward_model(forward)
    critic = make_inspector(inspector)
    label = _image_name(source, name)
    full = load_reference(source)
    size = preview_size(full.shape)
    reference = resample(full, size)
    problem = exposure_problem(reference)
    if problem is not None:
        result = _result(label, base or SceneScript(), iterations=0, residual=0.0,
                         seconds=time.perf_counter() - t0, forward=model.name,
                         inspector=critic.name, status="failed", message=problem)
        return MatchOutcome(result, None, reference, None)
    ref = analyse(reference)
    sig = signature(reference, ref, base)
    start = fuse(sig, forward=model.name, base=base)
    best = calibrate(ref, start, forward=model, max_iterations=max_iterations, size=size)
    candidates = [("fused", best.residual)]
    chosen = "fused"
    notes: list[str] = []
    store = _open_library(library)
    tags: frozenset[str] = frozenset()
    if store is not None:
        from moks_graph.hosts.inverse.library import WARM_START_SIMILARITY, still_tags, warm_seed

        tags = still_tags(sig, start)
        entry = store.lookup(tags, min_similarity=WARM_START_SIMILARITY)
        if entry is not None:
            warm = calibrate(ref, warm_seed(start, entry.script), forward=model,
                             max_iterations=max_iterations, size=size)
            candidates.append((f"library:{entry.id}", warm.residual))
            if warm.residual < best.residual:
                best, chosen = warm, f"library:{entry.id}"
    try:
        crit = critic.critique(reference, best.preview, sig, best.script)
    except Exception as exc:  # a remote inspector's failure must not stop the match
        crit = Critiques(summary=f"inspector {critic.name} failed: {type(exc).__name__}")
        notes.append(crit.summary)
    tried: set[tuple[str, str, str]] = set()
    for item in crit.items:
        if len(tried) >= alternatives:
            break
        key = (item.slot, item.field, str(item.value))
        if (item.slot, item.field) not in DISCRETE_FIELDS or key in tried:
            continue
        if getattr(getattr(start, item.slot), item.field) == item.value:
            continue
        tried.add(key)
        try:
            alt_start = start.with_slot(item.slot, **{item.field: item.value})
        except ValueError:
            continue  # a proposal outside the schema is ignored
        alt: CalibrationResult = calibrate(ref, alt_start, forward=model,
                                           max_iterations=max_iterations, size=size)
        label_alt = f"{item.slot}.{item.field}={item.value}"
        candidates.append((label_alt, alt.residual))
        if alt.residual < best.residual:
            best, chosen = alt, label_alt
    if chosen != "fused":
        notes.append(f"applied {chosen} (residual {best.residual:.3g} < "
                     f"{candidates[0][1]:.3g} of the fused start)")
    message = "; ".join([*notes, f"critique of the fused start: {crit.summary}"])
    result = _result(label, best.script, iterations=best.iterations,
                     residual=float(best.residual), seconds=time.perf_counter() - t0,
                     forward=model.name, inspector=critic.name, message=message)
    if store is not None:
        with store:
            store.add_match(best.script, result, tags=tags)
    return MatchOutcome(result, best.script, reference, best.preview, sig, crit, candidates)


def _open_library(path: str | os.PathLike[str] | None) -> Any:
    if path is None:
        return None
    from moks_graph.hosts.inverse.library import CalibrationLibrary

    return CalibrationLibrary(path)


def match_image(image: str | os.PathLike[str] | np.ndarray,
                forward: str | ForwardModel = "builtin",
                inspector: str | Inspector = "offline", **options: Any) -> MatchResult:
    """Match one reference still; the :class:`MatchResult` (``match.json``'s content).

    ``options``: ``max_iterations``, ``alternatives``, ``base``, ``name`` of :func:`match`.
    """
    return match(image, forward, inspector, **options).result


# --------------------------------------------------------------------------- output


def to_srgb8(image: np.ndarray) -> np.ndarray:
    """Display-linear float to sRGB-encoded 8-bit (clipped to [0, 1])."""
    return (srgb_encode(np.clip(image, 0.0, 1.0)) * 255.0 + 0.5).astype(np.uint8)


def _png_bytes(image: np.ndarray) -> bytes:
    import imageio.v3 as iio

    return bytes(iio.imwrite("<bytes>", image, extension=".png"))


def stem_of(image: str) -> str:
    """A file-system-safe folder name for an image path."""
    return _SAFE.sub("_", Path(image).stem) or "image"


def write_match(result: MatchResult, script: SceneScript | None, reference: np.ndarray,
                preview: np.ndarray | None, out_dir: str | os.PathLike[str], *,
                stem: str | None = None) -> Path:
    """Write ``out_dir/<stem>/`` (module docstring); returns that folder.

    A failed result writes ``match.json`` only.
    """
    from moks_graph.cache import atomic_write_bytes
    from moks_graph.mgraph import save

    if not isinstance(result, MatchResult):
        raise TypeError(f"result: expected a MatchResult, got {type(result).__name__}")
    folder = Path(out_dir) / (stem or stem_of(result.image))
    folder.mkdir(parents=True, exist_ok=True)
    if result.status == "matched":
        if script is None or preview is None:
            raise ValueError("script, preview: a matched result needs its script and preview")

        save(compile_scene(script), folder / "scene.mgraph")
        prev8 = to_srgb8(preview)
        atomic_write_bytes(folder / "preview.png", _png_bytes(prev8))
        ref8 = to_srgb8(resample(as_linear_rgb(reference, "reference"),
                                 (preview.shape[1], preview.shape[0])))
        gap = np.full((prev8.shape[0], 4, 3), 32, dtype=np.uint8)
        atomic_write_bytes(folder / "compare.png",
                           _png_bytes(np.concatenate([ref8, gap, prev8], axis=1)))
    text = json.dumps(result.model_dump(mode="json"), indent=2, sort_keys=True,
                      allow_nan=False) + "\n"
    atomic_write_bytes(folder / "match.json", text.encode())
    return folder


def read_match(folder: str | os.PathLike[str]) -> Mapping[str, Any]:
    """The ``match.json`` of a match folder as a dict."""
    return json.loads((Path(folder) / "match.json").read_text())


def match_still(image: str | os.PathLike[str], graph: Graph | None = None,
                **options: Any) -> Graph:
    """Match a still and return its bake graph, ready to insert into ``graph``.

    The graph uses ``graph``'s fps and frame range when given, and its node ids are
    prefixed ``match_`` where they would collide with ``graph``'s. Raises
    ``ValueError`` with the reason when the still cannot be matched.
    """
    outcome = match(image, **options)
    if outcome.script is None or outcome.result.status != "matched":
        raise ValueError(outcome.result.message or f"cannot match {image}")
    settings = graph.settings if graph is not None else None
    fitted = compile_scene(outcome.script,
                           fps=settings.fps if settings else 24.0,
                           frames=(settings.frame_start, settings.frame_end) if settings
                           else (1, 120),
                           seed=settings.seed if settings else 0)
    fitted.meta["match"] = outcome.result.model_dump(mode="json", exclude={"script"})
    if graph is None or not set(fitted.nodes) & set(graph.nodes):
        return fitted
    renamed = Graph(fitted.settings, fitted.registry, fitted.meta)
    new_id = {n: f"match_{n}" for n in fitted.nodes}
    for n, rec in fitted.nodes.items():
        renamed.add_node(rec.type, new_id[n], rec.params, rec.ui)
    for e in fitted.edges:
        renamed.connect(f"{new_id[e.src]}.{e.src_port}", f"{new_id[e.dst]}.{e.dst_port}")
    return renamed
