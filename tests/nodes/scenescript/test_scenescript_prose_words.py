"""Lens, colour and mood words, and conflicting phrases, in `moks scene` prose (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.hosts.bake import bake_graph
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.vocabulary import ProseConflict, parse_prose


@pytest.mark.parametrize(("word", "mm"), [("85mm", 85.0), ("18mm", 18.0), ("telephoto", 135.0),
                                          ("wide lens", 24.0), ("normal lens", 50.0)])
def test_lens_words_set_the_baked_focal_length(word, mm):
    channels = bake_graph(compile_scene(parse_prose(f"tripod medium {word}"), frames=(1, 12)))
    np.testing.assert_allclose(channels["camera.focal_length"], mm)


def test_colour_and_mood_words():
    assert parse_prose("warm").key.cct_K == 3200.0
    assert parse_prose("cool").key.cct_K == 7000.0
    moody = parse_prose("moody close-up")
    assert moody.fill_rim.key_fill_ratio == 8.0 and moody.look.exposure_ev == -0.5
    assert parse_prose("wide").shot.size == "wide"  # the shot size, not the lens


def test_conflicting_phrases_warn_naming_both_and_the_later_wins():
    with pytest.warns(ProseConflict, match=r"'warm' and 'cool' both set key\.cct_K"):
        assert parse_prose("warm, cool").key.cct_K == 7000.0
    with pytest.warns(ProseConflict, match=r"'drone' and 'dolly' both set camera\.rig"):
        assert parse_prose("drone dolly handheld").camera.rig == "handheld"


def test_a_rigs_default_move_neither_overrides_nor_conflicts_with_a_said_move(recwarn):
    assert parse_prose("push-in tripod").camera.move == "push_in"
    assert parse_prose("dolly pull-out").camera.move == "pull_out"
    assert not [w for w in recwarn if issubclass(w.category, ProseConflict)]


def test_an_impossible_focal_length_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'900mm'.*8-600 mm"):
        parse_prose("tripod 900mm")


def test_moks_scene_prints_conflicts_on_stderr(tmp_path):
    from click.testing import CliRunner

    from moks_graph.hosts.commands.scene import scene

    out = CliRunner().invoke(scene, ["warm cool tripod", "--out", str(tmp_path / "s.mgraph")])
    assert out.exit_code == 0, out.output
    assert "warning: 'warm' and 'cool' both set key.cct_K" in out.stderr
    assert (tmp_path / "s.mgraph").is_file()
