"""A reference still read as a subject and its lights, in SceneScript terms.

:func:`estimate_still` finds the subject (:mod:`~moks_graph.nodes.inverse.subject`) and fits
the lights to its shading (:mod:`~moks_graph.nodes.inverse.lightfit`) on a working grid of
the reference's own framing; :func:`judge` says whether the residual supports the word
"matched"; :func:`to_script` writes the estimate into a SceneScript; :func:`preview` and
:func:`residual_heatmap` are what a TD looks at beside the reference.

Angles are in the subject's view frame (z from the subject towards the camera): an
eye-level SceneScript camera, which :func:`to_script` writes, has the same frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np

from moks_graph.nodes.imaging.colorimetry import CCT_RANGE_K, cct_duv_from_rgb, cct_to_rgb
from moks_graph.nodes.imaging.metrics import haze
from moks_graph.nodes.inverse.key_hint import KeyHint
from moks_graph.nodes.inverse.lightfit import (
    FILL_SEEN_RATIO,
    LUMA,
    LightFit,
    fit_lights,
    predict,
    shading_pixels,
)
from moks_graph.nodes.inverse.silhouette import frame_sides, working_size
from moks_graph.nodes.inverse.subject import (
    SubjectEstimate,
    boxed_subject,
    estimate_subject,
    head_subject,
    matte_subject,
)
from moks_graph.nodes.scenescript.compile import FRAME_HEIGHT
from moks_graph.nodes.scenescript.schema import SceneScript

RATIO_RANGE: Final[tuple[float, float]] = (1.0, FILL_SEEN_RATIO)
MATCHED_RESIDUAL: Final[float] = 0.12
"""Largest robust relative RMS residual on the subject for ``matched``."""
MATCHED_INLIERS: Final[float] = 0.7
"""Smallest fraction of subject pixels the lights explain for ``matched``."""
MATCHED_DIRECTION_DEG: Final[float] = 15.0
"""Largest 1-sigma key-direction uncertainty for ``matched``."""
OFF_FRAME: Final[str] = "the subject runs off the frame (its shape there is guessed)"
"""The reason a silhouette that reaches the frame's edge is never ``matched``: its outline
there is the frame's, not the subject's, so its normals and the lights read from them are
a guess (and a floor or backdrop taken for the subject fits smoothly, reaching the edge)."""
MONO_SATURATION: Final[float] = 0.04
HAZE_FREE_VEIL: Final[float] = 0.3
"""Dark-channel veil a clear studio frame shows (grey walls); haze is what lies above it."""
SUBJECT_ALBEDO: Final[float] = 0.45
KEY_DISTANCE_M: Final[float] = 3.0


@dataclass
class StillEstimate:
    """Subject, fitted lights and measured extras of one reference (working grid)."""

    image: np.ndarray
    subject: SubjectEstimate
    fit: LightFit
    veil: float
    monochrome: bool
    notes: list[str] = field(default_factory=list)
    face: tuple[float, float, float, float] | None = None
    hint: KeyHint | None = None

    @property
    def key_cct(self) -> tuple[float, float]:
        """Key CCT [K] and Duv from the key's colour (clamped to :data:`CCT_RANGE_K`)."""
        rgb = np.maximum(self.fit.key_rgb, 1e-9)
        cct, duv = cct_duv_from_rgb(rgb / float(rgb @ LUMA))
        return float(np.clip(cct, *CCT_RANGE_K)), float(duv)


def to_working(image: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """Area-resample a linear image to the working grid (or to the grid of ``like``)."""
    from skimage.transform import resize

    if like is not None:
        h, w = like.shape[:2]
    else:
        w, h = working_size(image.shape)
    if image.shape[:2] == (h, w):
        return np.ascontiguousarray(image, dtype=np.float64)
    out = resize(image.astype(np.float64), (h, w, 3), order=1, mode="edge",
                 anti_aliasing=image.shape[0] > h or image.shape[1] > w)
    return np.maximum(out, 0.0)


def saturation(image: np.ndarray) -> float:
    """Mean chroma over luminance of the frame (0 for a grey image).

    Black pixels (letterbox bars, a render's empty film) carry no colour and are left out.
    """
    x = image.reshape(-1, 3)
    y = x @ LUMA
    keep = (y >= np.percentile(y, 10)) & (y > 1e-3 * max(float(y.max()), 1e-12))
    if not keep.any():
        return 0.0
    return float(np.mean((x[keep].max(1) - x[keep].min(1)) / np.maximum(y[keep], 1e-9)))


SKIN_RATIOS: Final[tuple[float, float]] = (1.1, 1.05)
"""Least ``R/G`` and ``G/B`` (linear) of a face's centre: skin of every tone is red over
green over blue; a grey sphere or Suzanne that a cascade takes for a face is not."""


def face_plausible(linear: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Whether a detected face box holds skin (or the still is black and white)."""
    h, w = linear.shape[:2]
    x, y, bw, bh = box
    r0, r1 = int((y + 0.3 * bh) * h), max(int((y + 0.7 * bh) * h), int((y + 0.3 * bh) * h) + 1)
    c0, c1 = int((x + 0.3 * bw) * w), max(int((x + 0.7 * bw) * w), int((x + 0.3 * bw) * w) + 1)
    centre = np.maximum(linear[r0:r1, c0:c1].reshape(-1, 3).mean(axis=0), 1e-9)
    if saturation(linear) < MONO_SATURATION:
        return True
    return bool(centre[0] / centre[1] >= SKIN_RATIOS[0] and centre[1] / centre[2] >= SKIN_RATIOS[1])


def estimate_still(linear: np.ndarray, *, start: np.ndarray | None = None,
                   rim: str | None = None, subject: SubjectEstimate | None = None,
                   face: tuple[float, float, float, float] | None = None,
                   matte: np.ndarray | None = None, matte_source: str = "matte",
                   box: tuple[float, float, float, float] | None = None,
                   hint: KeyHint | None = None) -> StillEstimate:
    """Subject and lights of a linear RGB reference (module docstring).

    ``start``/``rim`` steer the light fit (a critique's proposal); ``subject`` reuses an
    earlier subject estimate of the same image; ``matte``: the subject's coverage (0..1,
    white = subject; e.g. the render's alpha), used instead of finding it; ``box``: a box
    drawn around the subject (frame units ``x, y, width, height`` from the top-left), the
    subject found inside it (``subject.boxed_subject``); ``face``: a detected face box
    (frame units, ``x, y, width, height``): the person's lights are read from a head proxy
    on it. ``hint``: where a user says the key is (:class:`KeyHint`); the key is fitted
    inside it and the estimate keeps it, for refits from it.
    """
    work = to_working(linear)
    if subject is not None:
        subj = subject
    elif matte is not None:
        subj = matte_subject(matte, work.shape[:2], matte_source)
    elif box is not None:
        subj = boxed_subject(work, box)
    elif face is not None:
        subj = head_subject(work.shape[:2], face)
    else:
        subj = estimate_subject(work)
    fit = fit_lights(work, subj, start=start, rim=rim, hint=hint)
    mono = saturation(work) < MONO_SATURATION
    notes = list(fit.notes)
    est = StillEstimate(work, subj, fit, haze(work.astype(np.float32)), mono, notes, face,
                        hint)
    if not mono:
        rgb = np.maximum(fit.key_rgb, 1e-9)
        raw, _ = cct_duv_from_rgb(rgb / float(rgb @ LUMA))
        if not CCT_RANGE_K[0] <= float(raw) <= CCT_RANGE_K[1]:
            notes.append(f"key colour reads {float(raw):.0f} K, clamped to "
                         f"{CCT_RANGE_K[0]:.0f}-{CCT_RANGE_K[1]:.0f} K")
    return est


def subject_residual(est: StillEstimate, candidate: np.ndarray) -> float:
    """How far ``candidate`` (linear RGB, working grid) is from the reference on the subject.

    The RMS colour difference (per pixel, the length of the RGB difference over sqrt 3)
    over the subject's unclipped pixels, the worst 10 % left out (cast shadows and
    highlights a preview need not carry), relative to the subject's mean luminance. Every
    hypothesis of the match loop is scored by it on the same pixels.
    """
    pixels = shading_pixels(est.image, est.subject)
    if not pixels.any():  # every subject pixel clipped: measure on them all the same
        pixels = est.subject.mask
    ref = est.image[pixels]
    if ref.size == 0 or float((ref @ LUMA).mean()) <= 0.0:
        return 1.0  # nothing to measure: as far off as the subject's own level
    r2 = np.sort(((ref - candidate[pixels]) ** 2).mean(axis=1))
    kept = r2[: max(1, math.ceil(0.9 * r2.size))]
    return float(math.sqrt(float(kept.mean())) / max(float((ref @ LUMA).mean()), 1e-12))


def with_ratio(est: StillEstimate, ratio: float) -> StillEstimate:
    """The estimate with its fill set so that key/fill is ``ratio`` (the key's level kept)."""
    fit = replace(est.fit, coef=est.fit.coef.copy(), colour=est.fit.colour.copy())
    fill = fit.coef[0] / max(float(ratio), 1e-9)
    scale = fill / fit.coef[1] if fit.coef[1] > 0 else 0.0
    fit.coef[1] = fill
    fit.colour[1] = fit.colour[1] * scale if scale > 0 else fit.colour[0] / max(ratio, 1e-9)
    return replace(est, fit=fit)


def with_key_cct(est: StillEstimate, cct_K: float) -> StillEstimate:
    """The estimate with the key's colour at ``cct_K`` (its luminance and the albedo kept).

    The key term's RGB is the albedo times the light colour; the albedo is the fitted key
    RGB over the fitted colour, so only the light colour changes.
    """
    fit = replace(est.fit, colour=est.fit.colour.copy())
    old = np.maximum(fit.key_rgb, 1e-9)
    old = old / float(old @ LUMA)
    new = cct_to_rgb(float(np.clip(cct_K, *CCT_RANGE_K)))
    new = new / float(new @ LUMA)
    fit.colour[0] = fit.colour[0] * new / old
    fit.key_rgb = fit.key_rgb * new / old
    return replace(est, fit=fit)


def judge(est: StillEstimate, residual: float) -> tuple[str, list[str]]:
    """``("matched" | "approximate", reasons)``: matched only when the residual says so.

    ``residual``: :func:`subject_residual` of the chosen hypothesis.
    """
    fit = est.fit
    reasons: list[str] = []
    if not est.subject.found:
        reasons.append(est.subject.reason or "no subject found")
    elif any(frame_sides(est.subject.mask)):
        reasons.append(OFF_FRAME)
    if residual > MATCHED_RESIDUAL:
        reasons.append(f"residual {residual:.3f} above {MATCHED_RESIDUAL}")
    if fit.inlier_fraction < MATCHED_INLIERS:
        reasons.append(f"the lights explain only {100 * fit.inlier_fraction:.0f} % of the "
                       f"subject's pixels")
    if fit.sigma.get("key_direction_deg", math.inf) > MATCHED_DIRECTION_DEG:
        reasons.append(f"key direction uncertain (±{fit.sigma['key_direction_deg']:.0f}°)")
    ratio = fit.ratio
    if not RATIO_RANGE[0] < ratio < RATIO_RANGE[1]:
        reasons.append("ratio at the bound" if math.isfinite(ratio)
                       else "ratio at the bound (nothing lights the shadow side)")
    return ("approximate" if reasons else "matched"), reasons


def shot_size(height_fraction: float) -> str:
    """The shot size whose framing shows the subject at ``height_fraction`` of the frame."""
    target = 1.0 / max(height_fraction, 1e-3)
    return min(FRAME_HEIGHT, key=lambda k: abs(math.log(FRAME_HEIGHT[k] / target)))


def softness(s: float) -> float:
    """SceneScript key softness for a source of angular radius ``asin s`` at the key distance."""
    size = 2.0 * s * KEY_DISTANCE_M / math.sqrt(max(1.0 - s * s, 1e-6))
    return float(np.clip((size - 0.3) / 1.7, 0.0, 1.0))


def haze_phi(veil: float) -> float:
    """Atmospheric φ from the dark-channel veil above a clear frame's (documented mapping)."""
    excess = max(veil - HAZE_FREE_VEIL, 0.0) / (1.0 - HAZE_FREE_VEIL)
    return float(np.clip(math.sqrt(excess), 0.0, 1.0))


def to_script(est: StillEstimate, base: SceneScript | None = None) -> SceneScript:
    """The estimate written into ``base`` (or a default SceneScript), slot by slot."""
    script = base if base is not None else SceneScript()
    data = script.model_dump()
    fit, subj = est.fit, est.subject
    if subj.found:
        data["shot"].update(size=shot_size(subj.height_fraction), angle="eye_level",
                            screen_x=float(np.clip(subj.centre[0], -0.5, 0.5)),
                            screen_y=float(np.clip(subj.centre[1], -0.5, 0.5)))
    data["key"].update(azimuth_deg=round(fit.azimuth_deg, 3),
                       elevation_deg=round(float(np.clip(fit.elevation_deg, -89.0, 89.0)), 3),
                       softness=round(softness(fit.softness_s), 4))
    if not est.monochrome:
        data["key"]["cct_K"] = round(est.key_cct[0], 1)
    ratio = fit.ratio if math.isfinite(fit.ratio) else RATIO_RANGE[1]
    data["fill_rim"].update(key_fill_ratio=round(float(np.clip(ratio, *RATIO_RANGE)), 4),
                            rim=fit.rim,
                            rim_ev=round(float(np.clip(fit.rim_ev, -6.0, 6.0)), 3))
    data["atmosphere"]["phi"] = round(haze_phi(est.veil), 4)
    ev = math.log2(max(fit.coef[0], 1e-6) / SUBJECT_ALBEDO)
    data["look"]["exposure_ev"] = round(float(np.clip(ev, -6.0, 6.0)), 3)
    if est.monochrome:
        data["look"]["stock"] = "tri_x"
    if est.face is not None:
        data["subject"]["kind"] = "person"
    return SceneScript.model_validate(data)


def preview(est: StillEstimate, background: float | None = None) -> np.ndarray:
    """Fitted lights on the estimated subject, in place over the reference's background.

    Linear RGB on the working grid. ``background``: ``None`` keeps the reference's own
    background (what an inspector compares); a number shows it in grey at that level (what
    a TD looks at, so the fitted subject stands out).
    """
    img = est.image
    back = img if background is None else (img @ LUMA)[..., None] * np.ones(3) * background
    out = np.where(est.subject.mask[..., None], predict(est.subject, est.fit), back)
    return out.astype(np.float32)


def residual_heatmap(est: StillEstimate, candidate: np.ndarray | None = None) -> np.ndarray:
    """``|reference - candidate| / mean subject level`` on the subject as a heat map.

    ``candidate``: linear RGB on the working grid (default: the fitted lights,
    :func:`predict`). Black outside the subject, then blue (0) to red (>= 0.5 of the
    subject's mean level).
    """
    subj = est.subject
    ref = est.image @ LUMA
    got = (predict(subj, est.fit) if candidate is None else candidate) @ LUMA
    level = max(float(ref[subj.mask].mean()), 1e-9)
    t = np.clip(np.abs(ref - got) / level / 0.5, 0.0, 1.0)
    heat = np.stack([t, 1.0 - np.abs(2.0 * t - 1.0), 1.0 - t], axis=-1) ** 2.2
    heat[~subj.mask] = 0.02
    return heat.astype(np.float32)
