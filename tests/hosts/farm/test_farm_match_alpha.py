"""``moks farm match --alpha/--no-alpha`` (issue 13): each image's own alpha is the batch
way to give the matcher its subject; a per-image matte is refused for a batch."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from moks_graph.hosts.farm import cli as farm_cli


@pytest.fixture
def seen(monkeypatch) -> list[dict[str, Any]]:
    """The options ``moks farm match`` hands the batch (no cluster started)."""
    calls: list[dict[str, Any]] = []

    def fake(images, out, *, options=None, **_kw):
        calls.append(dict(options or {}))
        return SimpleNamespace(ok=True)

    monkeypatch.setattr(farm_cli, "farm_match", fake)
    monkeypatch.setattr(farm_cli, "_print_report", lambda report, as_json: None)
    return calls


def _run(*args: str):
    return CliRunner().invoke(farm_cli.farm, ["match", *args])


@pytest.mark.parametrize(("flag", "expected"), [("--alpha", True), ("--no-alpha", False)])
def test_alpha_flags_reach_the_matcher(tmp_path, seen, flag, expected):
    run = _run("a.png", "b.png", "--out", str(tmp_path / "o"), flag)
    assert run.exit_code == 0, run.output
    assert seen[-1]["use_alpha"] is expected


def test_without_the_flag_the_options_are_unchanged(tmp_path, seen):
    run = _run("a.png", "--out", str(tmp_path / "o"), "--option", "max_iterations=0")
    assert run.exit_code == 0, run.output
    assert seen[-1] == {"max_iterations": 0}  # same options, same cache keys as before


def test_a_matte_option_fits_one_image_only(tmp_path, seen):
    run = _run("a.png", "b.png", "--out", str(tmp_path / "o"), "--option", "matte=roto.png")
    assert run.exit_code == 2 and "one image" in run.output and "--alpha" in run.output
    assert not seen
    assert "--alpha / --no-alpha" in _run("--help").output.replace("--alpha/--no-alpha",
                                                                  "--alpha / --no-alpha")
