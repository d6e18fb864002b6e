"""briefcase.toml stays in step with the project, and the Briefcase build folder is complete."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]


def _load_script():
    spec = importlib.util.spec_from_file_location("briefcase_app", ROOT / "installers" / "briefcase_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_briefcase_config_matches_the_project():
    project, briefcase = _load_script().load_config(ROOT)
    assert briefcase["version"] == project["version"]
    app = briefcase["app"]["openreg_kiosk"]
    assert {"linux", "windows", "macOS"} <= set(app)
    assert app["icon"] == "icons/openreg"


def test_drift_between_briefcase_and_pyproject_is_reported(tmp_path):
    script = _load_script()
    (tmp_path / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml")
        .read_text()
        .replace('version = "0.1.0"', 'version = "9.9.9"', 1)
        .replace('"click>=8.1"', '"click>=9"')
    )
    (tmp_path / "briefcase.toml").write_text((ROOT / "briefcase.toml").read_text())
    with pytest.raises(script.ConfigError) as err:
        script.load_config(tmp_path)
    assert "9.9.9" in str(err.value) and "click>=8.1" in str(err.value)


def test_prepare_writes_a_briefcase_project_with_sources_and_icons(tmp_path):
    script = _load_script()
    out = script.prepare(tmp_path / "bc", ROOT)
    generated = tomllib.loads((out / "pyproject.toml").read_text())
    _, briefcase = script.load_config(ROOT)
    assert generated["tool"]["briefcase"] == briefcase  # lossless round trip
    assert (out / "openreg_kiosk" / "__main__.py").is_file() and (out / "client" / "core").is_dir()
    for name in ("openreg-16.png", "openreg-512.png", "openreg.ico", "openreg.icns"):
        assert (out / "icons" / name).stat().st_size > 0


def test_build_without_briefcase_says_how_to_get_it(monkeypatch, tmp_path, capsys):
    script = _load_script()
    monkeypatch.setattr(script.shutil, "which", lambda name: None)
    assert script.main(["build", "linux", "--out", str(tmp_path / "bc")]) == 2
    assert "pip install briefcase" in capsys.readouterr().err
