"""The interface gate classifies contract changes the way a deployed kiosk experiences them, on
OpenAPI documents FastAPI writes for two versions of the same small API, and on the real contracts."""

import json
import shutil
import subprocess
import sys
from enum import StrEnum
from pathlib import Path

import click
import pytest
from fastapi import FastAPI
from pydantic import ConfigDict

from tools.interface_gate.__main__ import BASELINE, differences, verdict
from tools.interface_gate.openapi_diff import diff_openapi
from tools.interface_gate.surface_diff import diff_cli

ROOT = Path(__file__).resolve().parents[3]


def api(
    *,
    request_extra: dict | None = None,
    reply_extra: dict | None = None,
    reply_config="forbid",
    status: int = 200,
    error_codes=("not_found",),
    colours=("red",),
    rename: bool = False,
    drop_route: bool = False,
    add_route: bool = False,
) -> dict:
    """The OpenAPI document of a one-route API, varied by the arguments."""
    codes = StrEnum("ErrorCode", {c: c for c in error_codes})
    tones = StrEnum("Colour", {c: c for c in colours})
    request_fields = {
        "title" if rename else "name": (str, ...),
        "size": (int | None, None),
        **(request_extra or {}),
    }
    reply_fields = {
        "id": (str, ...),
        "colour": (tones, ...),
        "error": (codes | None, None),
        **(reply_extra or {}),
    }
    from pydantic import create_model

    item_in = create_model("ItemIn", __config__=ConfigDict(extra="forbid"), **request_fields)
    item_out = create_model("ItemOut", __config__=ConfigDict(extra=reply_config), **reply_fields)
    app = FastAPI()
    if not drop_route:

        @app.post("/items", response_model=item_out, status_code=status)
        def create(body: item_in) -> dict:  # type: ignore[valid-type]
            return {}

    if add_route:

        @app.get("/items/{item_id}", response_model=item_out)
        def read(item_id: str) -> dict:
            return {}

    return app.openapi()


def judged(**change) -> list[tuple[bool, str]]:
    return [(c.breaking, c.what) for c in diff_openapi(api(), api(**change))]


def blocks(**change) -> bool:
    found = list(diff_openapi(api(), api(**change)))
    return verdict(found, baseline_version=1, version=1, migrations="") is not None


def test_a_renamed_request_field_is_breaking():
    assert blocks(rename=True)
    assert (True, "property removed") in judged(rename=True)
    assert (True, "required property added") in judged(rename=True)


def test_an_added_optional_request_field_passes():
    assert judged(request_extra={"note": (str | None, None)}) == [(False, "optional property added")]
    assert not blocks(request_extra={"note": (str | None, None)})
    assert blocks(request_extra={"note": (str, ...)})  # required: old kiosks do not send it


def test_a_reply_field_is_breaking_only_where_old_kiosks_refuse_unknown_fields():
    assert blocks(reply_extra={"extra": (str | None, None)})
    found = list(
        diff_openapi(api(reply_config="ignore"), api(reply_config="ignore", reply_extra={"x": (int, 0)}))
    )
    assert [c.breaking for c in found] == [False]


def test_routes_status_codes_and_enums():
    assert blocks(drop_route=True) and not blocks(add_route=True)
    assert blocks(status=201)  # an old kiosk waits for 200
    assert blocks(colours=("red", "blue"))  # an old kiosk cannot parse the new value
    assert not blocks(error_codes=("not_found", "gone"))  # unknown error codes stay strings in the kiosk
    assert blocks(error_codes=("gone",))


def test_a_breaking_change_passes_only_with_a_raised_documented_protocol_version():
    found = list(diff_openapi(api(), api(rename=True)))
    assert "raise shared.sync.protocol.PROTOCOL_VERSION to 2" in verdict(
        found, baseline_version=1, version=1, migrations=""
    )
    assert "document the migration" in verdict(found, baseline_version=1, version=2, migrations="# Sync")
    assert verdict(found, baseline_version=1, version=2, migrations="## Protocol version 2\nrenamed") is None


def test_cli_options_removed_or_newly_required_break_scripts():
    def tree(*params: click.Parameter) -> dict:
        return {
            "openreg x": {
                p.name: {
                    "kind": "option",
                    "opts": sorted(p.opts),
                    "required": p.required,
                    "multiple": False,
                    "flag": False,
                    "type": p.type.name,
                }
                for p in params
            }
        }

    old = tree(click.Option(["--data"]), click.Option(["--limit"], type=int))
    assert [c.breaking for c in diff_cli(old, tree(click.Option(["--data"])))] == [True]
    assert [c.breaking for c in diff_cli(old, tree(*_opts(old), click.Option(["--json"], is_flag=True)))] == [
        False
    ]
    assert [c.breaking for c in diff_cli(old, tree(*_opts(old), click.Option(["--to"], required=True)))] == [
        True
    ]


def _opts(tree: dict) -> list[click.Option]:
    return [
        click.Option(v["opts"], type=int if v["type"] == "integer" else str)
        for v in tree["openreg x"].values()
    ]


@pytest.fixture(scope="module")
def real_contracts() -> dict:
    from tools.interface_gate.__main__ import collect

    return collect()


def test_the_code_matches_the_committed_baselines(real_contracts):
    old = {name: json.loads((BASELINE / f"{name}.json").read_text()) for name in real_contracts}
    breaking = [c.line() for c in differences(old, real_contracts) if c.breaking]
    assert not breaking, "\n".join(breaking)


def test_the_gate_command_fails_when_the_code_dropped_a_field_the_baseline_has(tmp_path):
    baseline = tmp_path / "baseline"
    shutil.copytree(BASELINE, baseline)
    openapi = json.loads((baseline / "openapi.json").read_text())
    status = openapi["components"]["schemas"]["PacketStatus"]
    status["properties"]["legacy_note"] = {"type": "string"}  # as if the code had removed it
    (baseline / "openapi.json").write_text(json.dumps(openapi))
    run = subprocess.run(
        [sys.executable, "-m", "tools.interface_gate", "check", "--baseline", str(baseline)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "BREAKING  openapi" in run.stdout and "legacy_note: property removed" in run.stdout
    assert "1 breaking change(s)" in run.stderr
