"""``match``: a reference still in, a matched SceneScript (and bake graph) out.

The details (moved from this docstring): docs/inverse-hosts.md, "Module notes",
`hosts/inverse/match.py`.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from moks_graph.graph import Graph
from moks_graph.hosts.ambient import ambient_refs
from moks_graph.hosts.inverse.faces import detect_faces
from moks_graph.hosts.inverse.library import WARM_START_SIMILARITY, still_tags, warm_seed
from moks_graph.nodes.imaging.colorimetry import LUMINANCE_WEIGHTS, srgb_encode
from moks_graph.nodes.imaging.image_input import as_linear_rgb
from moks_graph.nodes.imaging.io import load_image, read_array
from moks_graph.nodes.imaging.metrics import extract_metrics
from moks_graph.nodes.inverse.ambient_fit import ambient_sides
from moks_graph.nodes.inverse.calibrate import analyse, calibrate
from moks_graph.nodes.inverse.critique import OfflineInspector
from moks_graph.nodes.inverse.estimate import (
    OFF_FRAME,
    StillEstimate,
    estimate_still,
    face_plausible,
    judge,
    preview,
    residual_heatmap,
    subject_residual,
    to_script,
    to_working,
    with_key_cct,
    with_ratio,
)
from moks_graph.nodes.inverse.fuse import fuse, signature
from moks_graph.nodes.inverse.interfaces import (
    Critique,
    Critiques,
    ForwardModel,
    Inspector,
    Iteration,
    MatchResult,
)
from moks_graph.nodes.inverse.key_hint import KeyHint, angle_in_hint
from moks_graph.nodes.inverse.lightfit import RIM_DIRECTIONS, angles, direction
from moks_graph.nodes.inverse.render import (
    BuiltinRenderer,
    area_reduce,
    preview_size,
    resample,
)
from moks_graph.nodes.inverse.silhouette import BOX_SLACK, check_box, working_size
from moks_graph.nodes.inverse.subject import matte_mask
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.schema import SceneScript

NO_EXPOSURE: Final[str] = "cannot match: no exposure information"
ALONE_WIDTH: Final[int] = 640
"""The widest a reference is shown alone (a failed match has no preview) [px]."""
FORWARD_MODELS: Final[tuple[str, ...]] = ("builtin", "blender")
INSPECTORS: Final[tuple[str, ...]] = ("offline", "anthropic", "openai", "gemini")
MAX_ROUNDS: Final[int] = 4
"""Critique rounds at most (the loop stops earlier when a round changes nothing)."""
MIN_GAIN: Final[float] = 0.01
"""A proposal that refits the lights is kept when it lowers the residual by 1 % or more."""
AMBIENT_KEPT: Final[str] = ("the graph has an SH ambient already: it is kept and the "
                            "match's is left out (match.json has it)")
LOOK_FIELDS: Final[frozenset[tuple[str, str]]] = frozenset({
    ("look", "stock"), ("look", "exposure_ev"), ("atmosphere", "phi"), ("key", "cct_K")})
"""Fields the subject's shading does not measure (``cct_K`` only on a monochrome still)."""
RIM_MODES: Final[frozenset[str]] = frozenset({"none", *RIM_DIRECTIONS})
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


# --------------------------------------------------------------------------- lookups


def _named(value: Any, kind: type, what: str) -> str | None:
    """``None`` for an object of ``kind`` passed through, else its normalised name."""
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, kind):
        return None
    raise TypeError(f"{what}: expected a name or a {kind.__name__}, got "
                    f"{type(value).__name__}")


def _optional(module: str, attr: str, what: str) -> Any:
    """``module.attr``, imported on first use, or a clear error naming what is missing."""
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{what} not available in this installation "
                         f"({type(exc).__name__}: {exc})") from None


def forward_model(forward: str | ForwardModel = "builtin", **options: Any) -> ForwardModel:
    """A forward model by name (``builtin``, ``blender``) or passed through.

    ``blender`` is :class:`moks_graph.hosts.blender.forward.BlenderRenderer`,
    imported on first use (``options`` go to its constructor).
    """
    name = _named(forward, ForwardModel, "forward")
    if name is None:
        return forward  # type: ignore[return-value]
    if name == "builtin":
        return BuiltinRenderer(**options)
    if name == "blender":
        cls = _optional("moks_graph.hosts.blender.forward", "BlenderRenderer",
                        "forward: the Blender forward model is")
        return cls(**options)  # type: ignore[no-any-return]
    raise ValueError(f"forward: unknown forward model {forward!r}; choose one of "
                     f"{', '.join(FORWARD_MODELS)}")


def make_inspector(inspector: str | Inspector = "offline", **options: Any) -> Inspector:
    """An inspector by name (``offline``; ``anthropic``/``openai``/``gemini`` through
    :func:`moks_graph.hosts.inverse.inspectors_remote.make_inspector`) or passed through."""
    name = _named(inspector, Inspector, "inspector")
    if name is None:
        return inspector  # type: ignore[return-value]
    if name == "offline":
        return OfflineInspector()
    if name not in INSPECTORS:
        raise ValueError(f"inspector: unknown inspector {inspector!r}; choose one of "
                         f"{', '.join(INSPECTORS)}")
    factory = _optional("moks_graph.hosts.inverse.inspectors_remote", "make_inspector",
                        "inspector: the remote inspectors are")
    return factory(name, **options)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- images


def load_reference(source: str | os.PathLike[str] | np.ndarray) -> np.ndarray:
    """A reference as float32 ``H x W x 3`` linear RGB (see :func:`load_image`)."""
    if isinstance(source, np.ndarray):
        return as_linear_rgb(source, "image")
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"image: expected a path or an array, got {type(source).__name__}")
    return load_image(source)


def coverage(data: np.ndarray) -> np.ndarray:
    """0..1 coverage ``H x W`` of a stored matte: its alpha (RGBA, grey+alpha), else its
    grey level (the mean of its colours)."""
    arr = np.asarray(data)
    if arr.dtype.kind == "u":
        scale = float(np.iinfo(arr.dtype).max)
    elif arr.dtype.kind in "fb":
        scale = 1.0
    else:
        raise TypeError(f"matte: dtype {arr.dtype} is not a coverage (uint or float)")
    arr = arr.astype(np.float64) / scale
    if arr.ndim == 3:
        channels = arr.shape[-1]
        arr = arr[..., channels - 1] if channels in (2, 4) else arr[..., :3].mean(axis=-1)
    if arr.ndim != 2:
        raise ValueError(f"matte: expected an H x W coverage, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"matte: {int(np.sum(~np.isfinite(arr)))} pixels are not finite "
                         "(NaN or infinite)")
    return np.clip(arr, 0.0, 1.0)


_OIIO_FORMAT: Final[dict[str, str]] = {"uint8": "UINT8", "uint16": "UINT16",
                                       "float32": "FLOAT"}


def read_stored(path: str | os.PathLike[str]) -> np.ndarray:
    """A file's pixels as stored (:func:`~moks_graph.nodes.imaging.io.read_array`), with
    the alpha of a grey+alpha file kept (``H x W x 2``): ``read_array`` keeps only its grey,
    and a grey+alpha matte or render says where its subject is in that alpha."""
    data = read_array(path)
    if ((data.ndim == 3 and data.shape[-1] != 1) or str(data.dtype) not in _OIIO_FORMAT
            or Path(path).suffix.lower() in (".npy", ".hdr")):
        return data
    try:
        import OpenImageIO as oiio
    except ImportError:  # imageio keeps grey+alpha as H x W x 2 already
        return data
    config = oiio.ImageSpec()
    config.attribute("oiio:UnassociatedAlpha", 1)
    inp = oiio.ImageInput.open(str(path), config)
    if inp is None:
        return data
    try:
        spec = inp.spec()
        if spec.nchannels != 2 or (spec.height, spec.width) != data.shape[:2]:
            return data
        both = inp.read_image(0, 0, 0, 2, getattr(oiio, _OIIO_FORMAT[str(data.dtype)]))
    finally:
        inp.close()
    return data if both is None else np.asarray(both).reshape(*data.shape[:2], 2)


def _reason(exc: BaseException, path: str) -> str:
    """An error's text without the reader's own ``image: cannot read PATH:`` prefix."""
    text = str(exc)
    for prefix in (f"image: cannot read {path}: ", f"image: cannot read {path} ",
                   "image: cannot read ", "image: ", "matte: "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def load_matte(source: str | os.PathLike[str] | np.ndarray) -> np.ndarray:
    """A matte file or array (white or alpha = subject) as 0..1 coverage; errors name it
    (``ValueError``, also for a missing or unreadable file)."""
    if isinstance(source, np.ndarray):
        return coverage(source)
    try:
        return coverage(read_stored(source))
    except (TypeError, ValueError, OSError) as exc:
        raise ValueError(f"matte {source}: {_reason(exc, str(Path(source)))}") from None


def check_matte(matte: str | os.PathLike[str] | np.ndarray, shape: tuple[int, ...],
                label: str | None = None) -> np.ndarray:
    """The coverage of ``matte`` (:func:`load_matte`), checked against an image of
    ``shape`` as the matcher will use it (its aspect, and a subject's share of the frame on
    the working grid); ``ValueError`` naming the matte (or ``label``) otherwise."""
    cover = load_matte(matte)
    w, h = working_size(shape)
    try:
        matte_mask(cover, (h, w))
    except ValueError as exc:
        name = label or ("the matte" if isinstance(matte, np.ndarray) else str(matte))
        raise ValueError(f"matte {name}: {_reason(exc, name)}") from None
    return cover


NO_SUBJECT_HINT: Final[str] = "give a subject box or a matte to say where it is"
"""``subject.note`` of a match that found no subject: how the user can give it."""


def frame_box(box: Any, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    """A subject box in the reference's pixels (``x, y, width, height`` from its top-left,
    as an image viewer reads them) in frame units, checked; ``ValueError`` naming the
    ``subject box`` otherwise."""
    try:
        x, y, bw, bh = (float(v) for v in box)
    except (TypeError, ValueError):
        raise ValueError(f"subject box: expected 4 numbers x, y, width, height (pixels), "
                         f"got {box!r}") from None
    h, w = int(shape[0]), int(shape[1])
    text = f"subject box {x:g},{y:g},{bw:g},{bh:g}"
    if not all(math.isfinite(v) for v in (x, y, bw, bh)) or bw <= 0 or bh <= 0:
        raise ValueError(f"{text}: expected finite numbers and a positive width and height")
    if (x < -BOX_SLACK * w or y < -BOX_SLACK * h or x + bw > (1 + BOX_SLACK) * w
            or y + bh > (1 + BOX_SLACK) * h):
        raise ValueError(f"{text}: reaches outside the {w} x {h} image (pixels from its "
                         "top-left corner)")
    try:
        return check_box((x / w, y / h, bw / w, bh / h))
    except ValueError as exc:
        raise ValueError(f"{text}: {str(exc).removeprefix('subject box: ')}") from None


def reference_alpha(source: str | os.PathLike[str] | np.ndarray) -> np.ndarray | None:
    """The reference's own alpha (RGBA or grey+alpha) as a matte, when it has one that cuts
    the subject out (some pixels under half coverage, some over); ``None`` otherwise."""
    data = source if isinstance(source, np.ndarray) else read_stored(source)
    if data.ndim != 3 or data.shape[-1] not in (2, 4):
        return None
    alpha = coverage(data)
    return alpha if float(alpha.min()) < 0.5 <= float(alpha.max()) else None


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
    """Everything one match produced: the result, the script, images and critiques.

    ``preview`` and ``heatmap`` are linear RGB on the working grid of ``estimate``: the
    fitted lights on the estimated subject in the reference's framing, and the residual.
    """

    result: MatchResult
    script: SceneScript | None
    reference: np.ndarray
    preview: np.ndarray | None
    signature: dict[str, float] = field(default_factory=dict)
    critiques: Critiques | None = None
    candidates: list[tuple[str, float]] = field(default_factory=list)
    estimate: StillEstimate | None = None
    heatmap: np.ndarray | None = None


def _image_name(source: object, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, str | os.PathLike):
        return str(source)
    return "<array>"


def _result(name: str, script: SceneScript, *, iterations: int, residual: float,
            seconds: float, forward: str, inspector: str, status: str = "matched",
            message: str = "", **extra: Any) -> MatchResult:
    fr = script.fill_rim
    lights: dict[str, Any] = dict(
        key_azimuth_deg=script.key.azimuth_deg, key_elevation_deg=script.key.elevation_deg,
        key_fill_ratio=fr.key_fill_ratio, key_cct_K=script.key.cct_K, rim=fr.rim != "none",
        rim_mode=fr.rim, haze=script.atmosphere.phi, film_stock=script.look.stock)
    if status == "failed":  # nothing was measured: no default may read as a measurement
        lights = dict.fromkeys(lights)
    return MatchResult(
        image=name, **lights, iterations=iterations,
        residual=residual, seconds=seconds, forward=forward, inspector=inspector,
        status=status, message=message[:2000],
        script=script.model_dump(mode="json") if status != "failed" else {}, **extra)


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
          alternatives: int = 3, rounds: int = MAX_ROUNDS, base: SceneScript | None = None,
          name: str | None = None,
          library: str | os.PathLike[str] | None = None,
          matte: str | os.PathLike[str] | np.ndarray | None = None,
          use_alpha: bool = True,
          subject_box: tuple[float, float, float, float] | None = None,
          key_hint: KeyHint | str | None = None) -> MatchOutcome:
    """Match one reference (module docstring); the full :class:`MatchOutcome`.

    ``max_iterations``: LM steps of the proxy-scene calibration (default 2).
    ``alternatives``: how many of an inspector's critiques are tried per round; ``rounds``:
    how many critique rounds at most (the loop stops earlier when a round changes nothing).
    ``base``: known slots (e.g. the subject kind) the result starts from. ``name``: the
    ``image`` field of the result. ``library``: a calibration library (SQLite file, safe
    for concurrent workers): its most vital entry whose tags match what was measured about
    this still (:func:`~moks_graph.hosts.inverse.library.still_tags`) is proposed as a
    start (:func:`~moks_graph.hosts.inverse.library.warm_seed`: its lighting, the still's
    own stock and rim mode) and kept only when its residual is lower; an accepted match is
    stored back under those tags. ``matte``: the subject's coverage (a file or an array,
    white or alpha = subject, the reference's aspect), used instead of finding the subject;
    ``use_alpha``: a reference with an alpha channel that cuts a subject out (a render on
    a transparent film) is its own matte. ``subject_box``: a box drawn around the subject
    in the reference's pixels (``x, y, width, height`` from its top-left): the subject is
    found inside it (:func:`frame_box`; instead of the alpha, not with a matte).
    ``key_hint``: where the key is, as a TD sees it (``"left"``, ``"right,above"``…,
    :class:`~moks_graph.nodes.inverse.key_hint.KeyHint`): every hypothesis's key is fitted
    inside it, and ``match.json``'s ``key_hint`` says where the shading alone puts it.
    """
    hint = KeyHint.parse(key_hint)
    if matte is not None and subject_box is not None:
        raise ValueError("subject box: give a matte or a subject box, not both")
    for label, value, low in (("max_iterations", max_iterations, 0),
                              ("alternatives", alternatives, 0), ("rounds", rounds, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{label}: expected an int >= {low}, got {value!r}")
    with single_threaded_blas():
        return _match(source, forward, inspector, max_iterations=max_iterations,
                      alternatives=alternatives, rounds=rounds, base=base, name=name,
                      library=library, matte=matte, use_alpha=use_alpha,
                      subject_box=subject_box, hint=hint)


@dataclass
class _State:
    """The loop's current best hypothesis."""

    script: SceneScript
    estimate: StillEstimate
    preview: np.ndarray  # working grid, the reference's own background
    residual: float
    method: str
    #: re-runs this hypothesis's calibration from a changed script (the proxy scene's)
    recalibrate: Callable[[SceneScript], _State] | None = None


def _subject_state(est: StillEstimate, base: SceneScript, method: str) -> _State:
    image = preview(est)
    return _State(to_script(est, base), est, image, subject_residual(est, image), method)


def _proxy_state(reference: np.ndarray, est: StillEstimate, base: SceneScript | None,
                 model: ForwardModel, max_iterations: int, size: tuple[int, int]
                 ) -> tuple[_State, dict[str, float]]:
    """The proxy-scene hypothesis: fuse and calibrate the built-in scene on the reference.

    Exact on the product's own renders (its proxy figure at its framing); on anything else
    its silhouette misses the subject and the residual says so.
    """
    ref = analyse(reference)
    sig = signature(reference, ref, base)

    def run(script: SceneScript) -> _State:
        cal = calibrate(ref, script, forward=model, max_iterations=max_iterations, size=size)
        image = to_working(cal.preview, like=est.image)
        return _State(cal.script, est, image, subject_residual(est, image), "proxy scene",
                      run)

    return run(fuse(sig, forward=model.name, base=base)), sig


def _steer(full: np.ndarray, state: _State, item: Critique, base: SceneScript
           ) -> tuple[_State | None, str]:
    """Apply one critique; the new state (``None`` when not kept) and why.

    On the proxy-scene hypothesis a stock or rim mode is recalibrated there and kept when
    the residual drops. Key direction and rim mode refit the lights from the proposal and
    are kept when the residual drops by :data:`MIN_GAIN`; key/fill ratio and key CCT
    change the fitted terms and are kept while the residual stays within :data:`MIN_GAIN`
    (the pixels cannot tell them apart); look fields (stock, exposure, haze), which the
    subject's shading does not measure, from an inspector's confidence of 0.5.
    """
    est = state.estimate
    where = (item.slot, item.field)
    if state.recalibrate is not None and where in (("look", "stock"), ("fill_rim", "rim")):
        try:
            new = state.recalibrate(state.script.with_slot(item.slot,
                                                           **{item.field: item.value}))
        except (ValueError, ArithmeticError) as exc:
            return None, f"not applicable ({str(exc).splitlines()[0]})"
        if new.residual < state.residual:
            return new, f"recalibrated: residual {state.residual:.4f} -> {new.residual:.4f}"
        return None, f"recalibrated: residual {new.residual:.4f} against {state.residual:.4f}"
    try:
        if where == ("fill_rim", "rim"):
            if item.value not in RIM_MODES:
                return None, f"unknown rim mode {item.value!r}"
            cand = estimate_still(full, start=est.fit.key, rim=str(item.value),
                                  subject=est.subject, hint=est.hint)
        elif where in (("key", "azimuth_deg"), ("key", "elevation_deg")):
            az, el = est.fit.azimuth_deg, est.fit.elevation_deg
            if where[1] == "azimuth_deg":
                az = float(item.value)
            else:
                el = float(np.clip(float(item.value), -89.0, 89.0))
            if not angle_in_hint(est.hint, az, el):
                return None, f"outside the key hint ({est.hint})"
            cand = estimate_still(full, start=direction(az, el), rim=est.fit.rim,
                                  subject=est.subject, hint=est.hint)
        elif where == ("fill_rim", "key_fill_ratio"):
            cand = with_ratio(est, float(np.clip(float(item.value), 1.0, 64.0)))
        elif where == ("key", "cct_K") and not est.monochrome:
            cand = with_key_cct(est, float(item.value))
        else:
            cand = None
    except (TypeError, ValueError) as exc:
        return None, f"not applicable ({str(exc).splitlines()[0]})"
    if cand is None:
        if where not in LOOK_FIELDS:
            return None, "not a field the loop applies"
        if item.confidence < 0.5:
            return None, f"not measured by the fit; confidence {item.confidence:.2f} < 0.5"
        try:
            script = state.script.with_slot(item.slot, **{item.field: item.value})
        except ValueError as exc:
            return None, f"outside the SceneScript ({str(exc).splitlines()[0]})"
        return (_State(script, est, state.preview, state.residual, state.method),
                f"not measured by the fit; confidence {item.confidence:.2f}")
    new = _subject_state(cand, base, "subject fit")
    new.script = new.script.with_slot("look", **state.script.look.model_dump())
    steering = where in (("fill_rim", "rim"), ("key", "azimuth_deg"), ("key", "elevation_deg"))
    bound = state.residual * (1.0 - MIN_GAIN if steering else 1.0 + MIN_GAIN)
    if new.residual < bound:
        return new, f"residual {state.residual:.4f} -> {new.residual:.4f}"
    return None, f"residual {new.residual:.4f} against {state.residual:.4f}"


def _match(source: str | os.PathLike[str] | np.ndarray, forward: str | ForwardModel,
           inspector: str | Inspector, *, max_iterations: int, alternatives: int,
           rounds: int, base: SceneScript | None, name: str | None,
           library: str | os.PathLike[str] | None = None,
           matte: str | os.PathLike[str] | np.ndarray | None = None,
           use_alpha: bool = True,
           subject_box: tuple[float, float, float, float] | None = None,
           hint: KeyHint | None = None) -> MatchOutcome:
    t0 = time.perf_counter()
    model = forward_model(forward)
    critic = make_inspector(inspector)
    label = _image_name(source, name)
    full = load_reference(source)
    box = frame_box(subject_box, full.shape) if subject_box is not None else None
    full = area_reduce(full)
    size = preview_size(full.shape)
    reference = resample(full, size)
    problem = exposure_problem(reference)
    if problem is not None:
        result = _result(label, base or SceneScript(), iterations=0, residual=0.0,
                         seconds=time.perf_counter() - t0, forward=model.name,
                         inspector=critic.name, status="failed", message=problem,
                         reasons=[problem])
        return MatchOutcome(result, None, reference, None)
    start = base or SceneScript()
    cut, note = None, ""
    if matte is not None:
        cut, cut_from, subject_from = check_matte(matte, full.shape), "matte", "matte"
    elif box is None and use_alpha and (alpha := reference_alpha(source)) is not None:
        try:  # an alpha that does not cut out a subject: find it instead, and say so
            cut = check_matte(alpha, full.shape, "the image's alpha")
        except ValueError as exc:
            note = f"{exc}; the subject was found in the image instead"
        cut_from, subject_from = "image's alpha", "alpha"
    if cut is not None:
        est = estimate_still(full, matte=cut, matte_source=cut_from, hint=hint)
    elif box is not None:
        est = estimate_still(full, box=box, hint=hint)
        subject_from = "box" if est.subject.found else "none"
    else:
        faces = [face for face in detect_faces(full) if face_plausible(full, face)]
        est = estimate_still(full, face=faces[0] if faces else None, hint=hint)
        subject_from = "face" if faces else "image" if est.subject.found else "none"
    state = _subject_state(est, start, "subject fit")
    history = [Iteration(step=0, proposal="lights fitted to the subject's shading",
                         proposed_by="estimator", accepted=True, residual=state.residual)]
    metrics = extract_metrics(est.image.astype(np.float32))
    sig: dict[str, float] = dict(metrics)
    candidates = [("subject fit", state.residual)]
    try:
        proxy, sig = _proxy_state(reference, est, base, model, max_iterations, size)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        history.append(Iteration(step=0, proposal="the proxy scene calibrated on the "
                                 "reference", proposed_by="calibrator", accepted=False,
                                 residual=state.residual,
                                 reason="calibration failed: the still does not determine "
                                        "the proxy scene (a singular system)"
                                        if isinstance(exc, np.linalg.LinAlgError) else
                                        f"calibration failed: {type(exc).__name__}: "
                                        f"{str(exc)[:200]}"))
    else:
        inside = angle_in_hint(hint, proxy.script.key.azimuth_deg,
                               proxy.script.key.elevation_deg)
        better = inside and proxy.residual < state.residual * (1.0 - MIN_GAIN)
        history.append(Iteration(step=0, proposal="the proxy scene calibrated on the "
                                 "reference", proposed_by="calibrator", accepted=better,
                                 residual=proxy.residual,
                                 reason="" if inside else f"outside the key hint ({hint})"))
        candidates.append(("proxy scene", proxy.residual))
        if better:
            state = proxy
    store = _open_library(library)
    if store is not None:
        entry = store.lookup(still_tags(sig, state.script), min_similarity=WARM_START_SIMILARITY)
        if entry is not None:
            seed = warm_seed(state.script, entry.script)
            cand = estimate_still(full, start=direction(seed.key.azimuth_deg,
                                                        seed.key.elevation_deg),
                                  rim=seed.fill_rim.rim, subject=est.subject, hint=hint)
            warm = _subject_state(cand, start, f"library:{entry.id}")
            warm.script = warm.script.with_slot("look", **state.script.look.model_dump())
            ok = warm.residual < state.residual * (1.0 - MIN_GAIN)
            history.append(Iteration(step=0, proposal=f"warm start from library entry "
                                     f"{entry.id}", proposed_by="library", accepted=ok,
                                     residual=warm.residual))
            candidates.append((f"library:{entry.id}", warm.residual))
            if ok:
                state = warm
    crit: Critiques | None = None
    for step in range(1, rounds + 1):
        try:
            crit = critic.critique(est.image.astype(np.float32), state.preview, metrics,
                                   state.script)
        except Exception as exc:  # a remote inspector's failure must not stop the match
            history.append(Iteration(step=step, proposal="critique", proposed_by=critic.name,
                                     accepted=False, residual=state.residual,
                                     reason=f"inspector failed: {type(exc).__name__}"))
            break
        changed = False
        for item in crit.items[:alternatives]:
            new, why = _steer(full, state, item, start)
            history.append(Iteration(step=step, proposal=f"{item.slot}.{item.field} -> "
                                     f"{item.value}", proposed_by=critic.name,
                                     accepted=new is not None,
                                     residual=(new or state).residual, reason=why))
            if new is not None and new.script != state.script:
                state, changed = new, True
        if not changed:
            break
    status, reasons = judge(state.estimate, state.residual)
    if state.method == "proxy scene":  # its own geometry: the found subject's does not apply
        reasons = [r for r in reasons if not r.startswith(("key direction", "ratio at"))
                   and r != OFF_FRAME]
        status = "approximate" if reasons else "matched"
    steps = max(h.step for h in history)
    est = state.estimate
    subject = {"found": est.subject.found, "from": subject_from,
               "centre_x": est.subject.centre[0],
               "centre_y": est.subject.centre[1],
               "height_fraction": est.subject.height_fraction,
               "key_colour": est.fit.key_colour_source}
    if box is not None:
        subject["box"] = [float(v) for v in subject_box]
    if not est.subject.found:
        note = f"{note}; {NO_SUBJECT_HINT}" if note else NO_SUBJECT_HINT
    if note:
        subject["note"] = note
    hinted = hint_record(full, est, hint) if hint is not None else {}
    if hinted and not hinted["unhinted_in_hint"]:
        reasons.append(f"the shading alone puts the key outside the hint ({hint}): "
                       f"{hinted['unhinted_azimuth_deg']:.0f} / "
                       f"{hinted['unhinted_elevation_deg']:.0f} deg")
        status = "approximate"
    message = "; ".join(reasons) if reasons else "the residual supports the match"
    ambient = ambient_of(est, state.script)
    result = _result(label, state.script, iterations=steps, residual=float(state.residual),
                     seconds=time.perf_counter() - t0, forward=model.name,
                     inspector=critic.name, status=status, message=message, reasons=reasons,
                     uncertainty={k: round(v, 3) for k, v in est.fit.sigma.items()
                                  if math.isfinite(v)},
                     history=history, subject=subject, method=state.method,
                     ambient=ambient, key_hint=hinted,
                     fill=fill_of(est) if state.method != "proxy scene" else {})
    if store is not None and status == "matched":
        with store:
            store.add_match(state.script, result, tags=still_tags(sig, state.script))
    if state.method == "proxy scene":  # what the chosen hypothesis shows, and its residual
        shown, heat = state.preview, residual_heatmap(est, state.preview)
    else:
        shown, heat = preview(est, background=0.35), residual_heatmap(est)
    return MatchOutcome(result, state.script, reference, shown, sig, crit, candidates, est,
                        heat)


def fill_of(est: StillEstimate) -> dict[str, float]:
    """``match.json``'s ``fill``: where the subject fit reads the fill (SceneScript angles);
    empty without a found subject."""
    if not est.subject.found:
        return {}
    az, el = angles(est.fit.fill)
    return {"azimuth_deg": round(az, 2), "elevation_deg": round(el, 2)}


def hint_record(full: np.ndarray, est: StillEstimate, hint: KeyHint) -> dict[str, Any]:
    """``match.json``'s ``key_hint``: the hint, and the key the subject's shading alone
    reads (the same subject, no hint) with its residual, so a TD sees whether the pixels
    agree with the hint."""
    free = estimate_still(full, subject=est.subject)
    return {"hint": str(hint), "unhinted_azimuth_deg": round(free.fit.azimuth_deg, 2),
            "unhinted_elevation_deg": round(free.fit.elevation_deg, 2),
            "unhinted_residual": round(subject_residual(free, preview(free)), 4),
            "unhinted_in_hint": angle_in_hint(hint, free.fit.azimuth_deg,
                                              free.fit.elevation_deg)}


def ambient_of(est: StillEstimate, script: SceneScript) -> dict[str, Any]:
    """``match.json``'s ``ambient`` (:class:`MatchResult`): the subject fit's SH ambient at
    the script's key illuminance; empty without a found subject."""
    sh = est.fit.ambient_sh
    if not est.subject.found or sh is None:
        return {}
    coeffs = sh * script.key.illuminance_lux
    return {"coefficients": [float(f"{v:.7g}") for v in coeffs.ravel()],
            "frame": "world of scene.mgraph: Z up, the camera on -Y", "units": "nits",
            "relative_to_key": {side: round(v, 4) for side, v in ambient_sides(sh).items()}}


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
    """A file-system-safe folder name for an image path (never ``.`` or ``..``)."""
    return _SAFE.sub("_", Path(image).stem).strip(".") or "image"


OUTLINE_RGB: Final[tuple[int, int, int]] = (255, 214, 0)
"""The silhouette the lights were read from, outlined on the reference in ``compare.png``."""


def compare_image(reference: np.ndarray, preview: np.ndarray | None,
                  heatmap: np.ndarray | None = None,
                  outline: np.ndarray | None = None) -> np.ndarray:
    """Reference | preview | residual heat map, side by side at the preview's size (sRGB
    8-bit); ``outline``: the subject's silhouette (any grid), its edge drawn on the
    reference so that a wrong subject shows at a glance. Without a preview (a failed
    match) the reference alone, at most ``ALONE_WIDTH`` wide."""
    if preview is None:
        h, w = np.shape(reference)[:2]
        scale = min(1.0, ALONE_WIDTH / max(w, 1))
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
    else:
        size = (preview.shape[1], preview.shape[0])
    shown = to_srgb8(resample(as_linear_rgb(reference, "reference"), size))
    if preview is None:
        return shown
    panels = [shown, to_srgb8(preview)]
    if outline is not None and np.any(outline):
        panels[0][silhouette_edge(outline, preview.shape[:2])] = OUTLINE_RGB
    if heatmap is not None:
        panels.append(to_srgb8(resample(as_linear_rgb(heatmap, "heatmap"), size)))
    gap = np.full((preview.shape[0], 4, 3), 32, dtype=np.uint8)
    out = [panels[0]]
    for panel in panels[1:]:
        out += [gap, panel]
    return np.concatenate(out, axis=1)


def silhouette_edge(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The outermost pixels of ``mask`` on a grid of ``shape`` (nearest-neighbour)."""
    from scipy import ndimage

    rows = (np.arange(shape[0]) + 0.5) * mask.shape[0] / shape[0]
    cols = (np.arange(shape[1]) + 0.5) * mask.shape[1] / shape[1]
    grid = np.asarray(mask, dtype=bool)[rows.astype(int)[:, None], cols.astype(int)[None, :]]
    return grid & ~ndimage.binary_erosion(grid, border_value=0)


def write_match(result: MatchResult, script: SceneScript | None, reference: np.ndarray,
                preview: np.ndarray | None, out_dir: str | os.PathLike[str], *,
                stem: str | None = None, heatmap: np.ndarray | None = None,
                outline: np.ndarray | None = None) -> Path:
    """Write ``out_dir/<stem>/`` (module docstring) as a set; returns that folder.
    ``outline``: the subject's silhouette, outlined on the reference in ``compare.png``.

    The files are written into a temporary sibling folder which then replaces the target,
    so a reader sees the old set or the new one, never a mix; a failed result writes
    ``match.json`` only.
    """
    from moks_graph.atomic import atomic_folder
    from moks_graph.mgraph import save

    if not isinstance(result, MatchResult):
        raise TypeError(f"result: expected a MatchResult, got {type(result).__name__}")
    name = stem_of(stem) if stem else stem_of(result.image)
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / name
    with atomic_folder(folder) as staging:
        if result.status != "failed":
            if script is None or preview is None:
                raise ValueError("script, preview: a match needs its script and preview")
            save(compile_scene(script, ambient=result.ambient_coefficients()),
                 staging / "scene.mgraph")
            (staging / "preview.png").write_bytes(_png_bytes(to_srgb8(preview)))
            (staging / "compare.png").write_bytes(
                _png_bytes(compare_image(reference, preview, heatmap, outline)))
        text = json.dumps(result.model_dump(mode="json"), indent=2, sort_keys=True,
                          allow_nan=False) + "\n"
        (staging / "match.json").write_text(text)
    return folder


def write_outcome(outcome: MatchOutcome, out_dir: str | os.PathLike[str], *,
                  stem: str | None = None) -> Path:
    """:func:`write_match` of everything a :func:`match` produced (heat map included)."""
    return write_match(outcome.result, outcome.script, outcome.reference, outcome.preview,
                       out_dir, stem=stem, heatmap=outcome.heatmap,
                       outline=subject_outline(outcome))


def subject_outline(outcome: MatchOutcome) -> np.ndarray | None:
    """The silhouette the lights were read from, where a subject estimate was made."""
    return None if outcome.estimate is None else outcome.estimate.subject.mask


def read_match(folder: str | os.PathLike[str]) -> Mapping[str, Any]:
    """The ``match.json`` of a match folder as a dict."""
    return json.loads((Path(folder) / "match.json").read_text())


def match_still(image: str | os.PathLike[str], graph: Graph | None = None, *,
                on_outcome: Callable[[MatchOutcome], None] | None = None,
                **options: Any) -> Graph:
    """Match a still and return its bake graph, ready to insert into ``graph``.

    The graph uses ``graph``'s fps and frame range when given, and its node ids are
    prefixed ``match_`` where they would collide with ``graph``'s. Its ``meta["match"]``
    holds the result (status, reasons, uncertainty, history). ``on_outcome`` receives the
    whole :class:`MatchOutcome` (the editor shows its :func:`compare_image`). An
    ``approximate`` match is returned too; a ``failed`` one raises ``ValueError`` with the
    reason.
    """
    outcome = match(image, **options)
    if on_outcome is not None:
        on_outcome(outcome)
    if outcome.script is None or outcome.result.status == "failed":
        raise ValueError(outcome.result.message or f"cannot match {image}")
    settings = graph.settings if graph is not None else None
    ambient = outcome.result.ambient_coefficients()
    kept = graph is not None and ambient is not None and bool(ambient_refs(graph))
    fitted = compile_scene(outcome.script,
                           fps=settings.fps if settings else 24.0,
                           frames=(settings.frame_start, settings.frame_end) if settings
                           else (1, 120),
                           seed=settings.seed if settings else 0,
                           ambient=None if kept else ambient)
    fitted.meta["match"] = outcome.result.model_dump(mode="json", exclude={"script"})
    if kept:  # one ambient per bake: the graph's own stays
        fitted.meta["match"]["ambient_note"] = AMBIENT_KEPT
    if graph is None or not set(fitted.nodes) & set(graph.nodes):
        return fitted
    renamed = Graph(fitted.settings, fitted.registry, fitted.meta)
    new_id = {n: f"match_{n}" for n in fitted.nodes}
    for n, rec in fitted.nodes.items():
        renamed.add_node(rec.type, new_id[n], rec.params, rec.ui)
    for e in fitted.edges:
        renamed.connect(f"{new_id[e.src]}.{e.src_port}", f"{new_id[e.dst]}.{e.dst_port}")
    return renamed
