"""jobs.cli builds only the group of the command run: the same commands, options and help
as the whole app, with typer converting one group instead of all of them."""

from __future__ import annotations

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

import jobs.cli
from jobs.cli import COMMANDS, ROOT_FLAGS, ROOT_VALUE_OPTIONS, build_app, command_module

runner = CliRunner()


def _group(app: typer.Typer) -> TyperGroup:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return group


def test_each_module_registers_the_commands_listed_for_it() -> None:
    whole = _group(build_app())
    assert sorted(whole.commands) == sorted(n for names in COMMANDS.values() for n in names)
    for module, names in COMMANDS.items():
        assert sorted(_group(build_app([module])).commands) == sorted(names), module


def test_the_root_options_are_those_the_command_word_search_skips() -> None:
    params = [p for p in _group(build_app([])).params if p.name != "help"]
    with_value = {o for p in params if not getattr(p, "is_flag", False) for o in p.opts}
    flags = {o for p in params if getattr(p, "is_flag", False) for o in p.opts}
    assert with_value == set(ROOT_VALUE_OPTIONS)
    assert flags == set(ROOT_FLAGS)


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (["--db", "x.duckdb", "prices", "import", "f.csv"], "prices"),
        (["--db=x.duckdb", "--debug", "factors", "import", "ff.csv"], "prices"),
        (["--config", "study", "status"], "status"),  # a value that is a command's name
        (["--no-seed", "schedule"], "refresh"),
        (["study", "--offline"], "study"),
        (["--help"], None),
        (["pricez", "import"], None),
        (["--db"], None),
        ([], None),
    ],
)
def test_the_command_word_names_its_module(args: list[str], module: str | None) -> None:
    assert command_module(args) == module


@pytest.mark.parametrize(
    "args", [["prices", "--help"], ["study", "run", "--help"], ["sql", "--help"]]
)
def test_a_group_built_alone_has_the_help_of_the_whole_app(args: list[str]) -> None:
    module = command_module(args)
    assert module is not None
    alone = runner.invoke(build_app([module]), args, terminal_width=100)
    whole = runner.invoke(build_app(), args, terminal_width=100)
    assert alone.exit_code == whole.exit_code == 0
    assert alone.output == whole.output


def test_jobs_cli_app_is_the_whole_app() -> None:
    assert sorted(_group(jobs.cli.app).commands) == sorted(_group(build_app()).commands)
