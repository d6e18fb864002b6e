"""What every deployment file must get right about the server: its settings and its command line.

The compose file, the systemd units and the Kubernetes manifests all name ``OPENREG_*`` variables and
``openreg`` arguments; these helpers check them against the real settings class and click commands,
so a renamed setting or option fails here instead of at a customer's first start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import click
from pydantic import ValidationError

from shared.cli import main as openreg_main
from sync_server.settings import ServerSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Read by the click commands rather than by ServerSettings (sync_server/cli_options.py, worker_cli.py).
CLI_VARIABLES = {"OPENREG_DATA": "data_dir", "OPENREG_DB": "db_url"}
SETTINGS_PREFIX = "OPENREG_SERVER_"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of an env file (comments and blank lines skipped, no quoting rules)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Compose-style ``${...}`` substitution; a required variable missing from ``variables`` raises."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = variables.get(name)
        if value is not None and not (value == "" and op and op.startswith(":")):
            return value
        if op and op.endswith("?"):
            raise KeyError(f"{name} is required: {arg}")
        return arg if op else ""

    return _INTERPOLATION.sub(one, text)


def required_variables(text: str) -> set[str]:
    return {m["name"] for m in _INTERPOLATION.finditer(text) if m["op"] and m["op"].endswith("?")}


def unknown_variables(names: Sequence[str]) -> list[str]:
    """``OPENREG_*`` names that neither the server's settings nor its commands read."""
    fields = set(ServerSettings.model_fields)
    unknown = []
    for name in names:
        if not name.startswith("OPENREG_") or name in CLI_VARIABLES or name == "OPENREG_UPDATE_REPO_DIR":
            continue
        if not (name.startswith(SETTINGS_PREFIX) and name[len(SETTINGS_PREFIX) :].lower() in fields):
            unknown.append(name)
    return unknown


@contextmanager
def only_these_variables(env: Mapping[str, str]) -> Iterator[None]:
    """The process environment with no ``OPENREG_*`` but ``env`` (restored afterwards)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("OPENREG_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(env)
    try:
        yield
    finally:
        for name in env:
            os.environ.pop(name, None)
        os.environ.update(saved)


def settings_problems(env: Mapping[str, str], data_dir: Path) -> list[str]:
    """Why the server would refuse these variables (unknown names, invalid values); [] when it takes them."""
    problems = [f"{name}: no such setting" for name in unknown_variables(list(env))]
    given = {field: env[name] for name, field in CLI_VARIABLES.items() if name in env}
    given["data_dir"] = str(data_dir)  # the deployment's path need not exist on this machine
    server_env = {k: v for k, v in env.items() if k.startswith(SETTINGS_PREFIX)}
    with only_these_variables(server_env):
        try:
            ServerSettings(**given)
        except ValidationError as exc:
            problems.append(str(exc))
    return problems


def command_problems(args: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
    """Parse ``openreg <args>`` with the real click commands (nothing runs); [] when they take them."""
    args = list(args)
    command: click.Command = openreg_main
    ctx = click.Context(openreg_main, info_name="openreg")
    path = ["openreg"]
    while isinstance(command, click.Group):
        if not args:
            return [f"{' '.join(path)} needs a subcommand"]
        sub = command.get_command(ctx, args[0])
        if sub is None:
            return [f"{' '.join(path)} has no subcommand {args[0]!r}"]
        path.append(args.pop(0))
        command, ctx = sub, click.Context(sub, info_name=path[-1], parent=ctx)
    with only_these_variables({"OPENREG_DATA": "/var/lib/openreg", **(env or {})}):
        try:
            command.make_context(" ".join(path), args)
        except click.ClickException as exc:
            return [f"{' '.join(path)}: {exc.format_message()}"]
    return []


def option_value(args: Sequence[str], option: str) -> str | None:
    """The value given to ``option`` in an argument list (``--port 8765`` or ``--port=8765``)."""
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg.partition("=")[2]
    return None
