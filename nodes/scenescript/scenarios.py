"""The starter scenarios: each a SceneScript in prose plus its frame range.

Four have a moving subject (an actor crossing the frame with a handheld camera
keeping pace, walking to a mark, crossing, walking away from a following camera:
docs/moving-targets.md); the others a still one.

``graphs/<name>.mgraph`` are these compiled (``moks scene --starters graphs/``
writes them; a test keeps the committed files in sync).
"""

from __future__ import annotations

from dataclasses import dataclass

from moks_graph.graph import Graph
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.vocabulary import parse_prose


@dataclass(frozen=True)
class Scenario:
    name: str
    prose: str
    frames: tuple[int, int]
    fps: float = 24.0
    seed: int = 1


STARTERS: tuple[Scenario, ...] = (
    Scenario("interrogation_low_key", "interrogation low-key handheld medium close-up, "
             "top light, rim from camera left, practical, haze, 500T", (1, 144)),
    Scenario("golden_hour_drone_reveal", "golden hour drone reveal wide landscape, "
             "rim from camera right, 250D", (1, 240)),
    Scenario("dolly_push_in_dialogue", "dolly push-in on dialogue, medium close-up, soft "
             "rembrandt key, tungsten, 500T", (1, 192)),
    Scenario("handheld_chase", "handheld chase full shot, actor crossing, shaky, hard "
             "daylight, smoke, grainy 250D", (1, 120), fps=25.0),
    Scenario("technocrane_crowd_sweep", "technocrane crowd sweep wide, high angle, "
             "daylight, haze, Kodachrome", (1, 216)),
    Scenario("wirecam_stadium", "wirecam stadium extreme wide, high angle, night, double rim, "
             "haze, 500T", (1, 180), fps=30.0),
    Scenario("moco_product_turntable", "moco product turntable close-up, high-key, soft, "
             "backlit, clean 250D", (1, 96)),
    Scenario("foggy_tripod_noir", "foggy tripod noir medium, split light, rim from camera "
             "right", (1, 120)),
    Scenario("tripod_walk_to_mark", "tripod medium, actor walks in, soft rembrandt key, "
             "tungsten, 500T", (1, 144)),
    Scenario("dolly_walk_and_talk", "dolly tracking medium, actor crossing, soft key, "
             "daylight, 250D", (1, 168)),
    Scenario("handheld_follow_walk_away", "handheld chase full shot, actor walking away, "
             "shaky, hard daylight, rim from camera left, grainy 250D", (1, 144), fps=25.0),
)


def starter_graph(scenario: Scenario) -> Graph:
    """The compiled graph of one starter scenario."""
    g = compile_scene(parse_prose(scenario.prose), fps=scenario.fps, frames=scenario.frames,
                      seed=scenario.seed)
    g.meta["scenario"] = scenario.name
    g.meta["description"] = scenario.prose
    return g
