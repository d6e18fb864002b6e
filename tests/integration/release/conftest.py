"""Fixtures for release tests: tiny stand-in projects (real wheels, real venvs, seconds not minutes)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from shared.release.bundle import build_bundle
from shared.release.keys import ROLES, generate_role_key
from shared.release.repository import Repository


def make_tiny_project(root: Path, *, version: str, start_ok: bool = True) -> Path:
    """A distribution named ``openreg`` whose ``openreg --version`` start check passes or fails."""
    project = root / f"project-{version}"
    package = project / "openreg_probe"
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        textwrap.dedent(f"""
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "openreg"
        version = "{version}"
        [project.scripts]
        openreg = "openreg_probe:main"
        [tool.setuptools]
        packages = ["openreg_probe"]
    """)
    )
    body = "print('openreg, version {v}')\n    return 0" if start_ok else "raise SystemExit('broken build')"
    (package / "__init__.py").write_text(f"def main():\n    {body.format(v=version)}\n")
    return project


@pytest.fixture(scope="session")
def _tiny_bundle_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("tiny-bundles"), {}


@pytest.fixture
def tiny_bundle(tmp_path, _tiny_bundle_cache):
    """Build (once per session) a dependency-free bundle of a tiny ``openreg`` project at ``version``;
    each test gets its own copy so tests may tamper with it."""
    cache_dir, built = _tiny_bundle_cache

    def build(version: str, *, start_ok: bool = True) -> Path:
        key = (version, start_ok)
        if key not in built:
            project = make_tiny_project(cache_dir / f"src-{start_ok}", version=version, start_ok=start_ok)
            built[key] = build_bundle(
                project_dir=project, out_dir=cache_dir / f"dist-{start_ok}", with_dependencies=False
            )
        copy = tmp_path / "dist" / built[key].name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(built[key], copy)
        return copy

    return build


@pytest.fixture
def release_repo(tmp_path):
    """An initialised repository plus its keys (held in memory and the keys folder)."""
    keys = {role: generate_role_key(role, name=f"test {role} key") for role in ROLES}
    repo = Repository(tmp_path / "repo")
    repo.init(keys=keys)
    return repo, keys
