import subprocess
import sys

from click.testing import CliRunner

from shared.cli import main


def test_root_lists_every_subcommand_even_when_one_is_unavailable():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("server", "admin", "worker", "client", "demo", "devices", "packet", "release"):
        assert name in result.output


def test_console_script_reports_version():
    out = subprocess.run(
        [sys.executable, "-m", "shared", "--version"], capture_output=True, text=True, check=True
    )
    assert "openreg" in out.stdout


class _EntryPoint:
    def __init__(self, command):
        self.command, self.value = command, "tests:command"

    def load(self):
        return self.command


def _with_command(monkeypatch, command):
    import shared.cli

    monkeypatch.setattr(shared.cli, "_command_entry_points", lambda: {"probe": _EntryPoint(command)})


class Offline(RuntimeError):
    exit_code = 75


def _failing(error: BaseException, *, wrapped: bool = False):
    import click

    @click.command()
    @click.option("--target", envvar="OPENREG_PROBE_TARGET", default="x")
    def probe(target):
        if wrapped:
            raise click.ClickException(str(error)) from error
        raise error

    return probe


def test_errors_are_one_line_with_a_distinct_exit_code(monkeypatch):
    cases = [
        (Offline("the server is not reachable"), False, 75),
        (Offline("the server is not reachable"), True, 75),  # a ClickException raised from it keeps it
        (PermissionError("the signature does not match"), False, 77),
        (ConnectionRefusedError("connection refused"), False, 75),
        (FileNotFoundError(2, "No such file", "/media/stick/x"), False, 74),
        (KeyError("a bug"), False, 70),
        (RuntimeError("a plain failure"), True, 1),
    ]
    for error, wrapped, code in cases:
        _with_command(monkeypatch, _failing(error, wrapped=wrapped))
        result = CliRunner().invoke(main, ["probe"])
        assert result.exit_code == code, (error, result.output)
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_debug_shows_the_traceback_and_envvars_show_in_help(monkeypatch):
    _with_command(monkeypatch, _failing(KeyError("a bug")))
    result = CliRunner().invoke(main, ["--debug", "probe"])
    assert isinstance(result.exception, KeyError)  # not turned into one line
    assert "env var: OPENREG_PROBE_TARGET" in CliRunner().invoke(main, ["probe", "--help"]).output


def test_the_server_command_honours_its_environment_variables():
    help_text = CliRunner().invoke(main, ["server", "--help"]).output
    for name in ("OPENREG_SERVER_HOST", "OPENREG_SERVER_PORT", "OPENREG_SERVER_WORKERS", "OPENREG_DATA"):
        assert name in help_text, name
