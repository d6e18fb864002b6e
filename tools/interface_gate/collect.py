"""The current contracts, as JSON documents the baselines are compared with.

Each collector is pure of side effects beyond a temporary folder (the OpenAPI document comes from a
server built on a throwaway data folder, never from a running deployment).
"""

from __future__ import annotations

import hashlib
import inspect
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from tools.interface_gate.sbi_shapes import sbi

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "packet_v1"


def openapi() -> dict[str, Any]:
    from sync_server.app import create_app
    from sync_server.bootstrap import build_state, load_settings

    with tempfile.TemporaryDirectory() as folder:
        state = build_state(load_settings(data_dir=Path(folder)))
        try:
            return create_app(state).openapi()
        finally:
            state.engine.dispose()


def sync_models() -> dict[str, Any]:
    """Every wire model of ``shared.sync`` (the kiosk parses replies with them), as one schema."""
    import shared.sync.models
    import shared.sync.problems

    models = sorted(
        {
            model
            for module in (shared.sync.models, shared.sync.problems)
            for _, model in inspect.getmembers(module, inspect.isclass)
            if issubclass(model, BaseModel)
            and model.__module__ == module.__name__
            and not model.__name__.startswith("_")
        },
        key=lambda m: m.__name__,
    )
    _, schema = models_json_schema([(m, "validation") for m in models], ref_template="#/$defs/{model}")
    return schema


def packet() -> dict[str, Any]:
    """The packet format: its name and version, the meta schema, and the committed test vectors."""
    from shared.packet.meta import PacketMeta
    from shared.packet.model import FORMAT, VERSION

    vectors = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(VECTORS.iterdir())
        if path.is_file() and path.suffix != ".py"
    }
    return {"format": FORMAT, "version": VERSION, "meta": PacketMeta.model_json_schema(), "vectors": vectors}


def masterdata() -> dict[str, Any]:
    """The master-data import format: its name, the entities, location levels and roles it knows."""
    from sync_server.services.masterdata_rules import ENTITIES, IMPORT_FORMAT, LOCATION_LEVELS, ROLES

    return {
        "format": IMPORT_FORMAT,
        "entities": sorted(ENTITIES),
        "location_levels": sorted(LOCATION_LEVELS),
        "roles": sorted(ROLES),
    }


def cli() -> dict[str, Any]:
    """``openreg``'s command tree: every command path with its parameters."""
    from shared.cli import main

    tree: dict[str, Any] = {}

    def walk(command: click.Command, path: str, ctx: click.Context) -> None:
        tree[path] = {
            param.name: {
                "kind": "argument" if isinstance(param, click.Argument) else "option",
                "opts": sorted(param.opts),
                "required": bool(param.required),
                "multiple": bool(param.multiple),
                "flag": bool(getattr(param, "is_flag", False)),
                "type": param.type.name,
                **(
                    {"choices": sorted(map(str, param.type.choices))}
                    if isinstance(param.type, click.Choice)
                    else {}
                ),
            }
            for param in command.params
            if param.name and param.name not in {"help", "version"}
        }
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    walk(sub, f"{path} {name}", click.Context(sub, parent=ctx, info_name=name))

    walk(main, "openreg", click.Context(main, info_name="openreg"))
    return tree


COLLECTORS: dict[str, Callable[[], dict[str, Any]]] = {
    "openapi": openapi,
    "sync_models": sync_models,
    "packet": packet,
    "masterdata": masterdata,
    "cli": cli,
    "sbi": sbi,
}
