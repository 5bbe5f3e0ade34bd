"""``moks`` subcommands come from the ``moks_graph.cli`` entry-point group."""

from __future__ import annotations

import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from moks_graph import cli

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
ENGINE_COMMANDS = {"validate", "info", "nodes", "schema", "eval"}


def declared() -> dict[str, str]:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return data["project"]["entry-points"][cli.CLI_ENTRY_POINT_GROUP]


def test_the_engine_defines_only_its_five_commands():
    # commands of plugins invoked earlier in this process are cached in main.commands too
    own = {n for n, c in cli.main.commands.items() if c.callback.__module__ == cli.__name__}
    assert own == ENGINE_COMMANDS


def test_installed_metadata_matches_pyproject():
    """Stale metadata (pyproject edited, ``pip install -e .`` not re-run) fails here."""
    installed = {n: ep.value for n, ep in cli.plugin_commands().items()}
    assert {n: v for n, v in installed.items() if n in declared()} == declared()


@pytest.mark.parametrize("name", sorted(declared()))
def test_every_registered_command_loads_and_shows_help(name):
    result = CliRunner().invoke(cli.main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert isinstance(cli.main.get_command(click.Context(cli.main), name), click.Command)


def _group_with(monkeypatch, value: str) -> click.Group:
    ep = EntryPoint("hello", value, "moks_graph.cli.test")
    monkeypatch.setattr(cli, "entry_points", lambda group: [ep] if group == ep.group else [])

    @click.group(cls=cli.MoksGroup, entry_point_group=ep.group)
    def top() -> None:
        """A test group."""

    return top


@click.command()
@click.option("--name", default="world")
def hello(name: str) -> None:
    """Say hello."""
    click.echo(f"hello {name}")


def test_a_plugin_command_registers_through_the_group(monkeypatch):
    top = _group_with(monkeypatch, f"{__name__}:hello")
    assert "hello" in CliRunner().invoke(top, ["--help"]).output
    result = CliRunner().invoke(top, ["hello", "--name", "TD"])
    assert (result.exit_code, result.output) == (0, "hello TD\n")


def test_a_registered_object_that_is_not_a_command_is_one_clear_error(monkeypatch):
    top = _group_with(monkeypatch, f"{__name__}:ENGINE_COMMANDS")
    result = CliRunner().invoke(top, ["hello"])
    assert result.exit_code != 0
    assert "'hello'" in result.output and "not a click command" in result.output
