"""Which third-party distributions each part of the project imports, and which the extras declare.

Imports are read from the source (every ``import``, also inside functions, and literal
``importlib.import_module("...")`` names) and mapped to distributions through the installed
metadata (``importlib.metadata.packages_distributions``), so ``cv2`` counts as opencv-python-headless.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "openreg"
# The project's own top-level packages (and the kiosk bundle's app module); never third-party.
LOCAL = frozenset(
    {"client", "device_drivers", "sync_server", "shared", "abis_service", "demo", "tests", "bench"}
    | {"openreg_kiosk", "tools", "security_rig"}
)


def project_table(pyproject: Path = ROOT / "pyproject.toml") -> dict:
    return tomllib.loads(pyproject.read_text())["project"]


def declared(project: dict, extras: Iterable[str]) -> set[str]:
    """Distributions the base dependencies plus these extras name directly (``openreg[x]`` followed)."""
    names: set[str] = set()
    todo, seen = list(extras), set()
    requirements = list(project["dependencies"])
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        requirements += project["optional-dependencies"][extra]
    for text in requirements:
        req = Requirement(text)
        if canonicalize_name(req.name) == PROJECT:
            names |= declared(project, [e for e in req.extras if e not in seen]) - {PROJECT}
        else:
            names.add(canonicalize_name(req.name))
    return names


def closure(names: Iterable[str | Requirement]) -> set[str]:
    """The installed distributions these need, transitively (markers evaluated here, extras followed).

    A requirement whose marker does not hold on this machine, or that is not installed, is left out."""
    result: set[str] = set()
    todo = [Requirement(n) if isinstance(n, str) else n for n in names]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        key = (name, frozenset(req.extras))
        if key in done:
            continue
        done.add(key)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        result.add(name)
        for text in dist.requires or ():
            sub = Requirement(text)
            env_extras = {"", *req.extras}
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in env_extras):
                todo.append(sub)
    return result


def closure_of_extras(project: dict, extras: Iterable[str]) -> set[str]:
    """What ``pip install 'openreg[extras]'`` would bring, as far as this machine's metadata tells."""
    extras = list(extras)
    requirements = list(project["dependencies"])
    todo, seen = extras, set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in project["optional-dependencies"][extra]:
            req = Requirement(text)
            if canonicalize_name(req.name) == PROJECT:
                todo += list(req.extras)
            else:
                requirements.append(text)
    return closure(
        r for r in requirements if Requirement(r).marker is None or Requirement(r).marker.evaluate()
    )


@cache
def import_owners() -> dict[str, frozenset[str]]:
    """Top-level import name -> canonical names of the installed distributions that provide it."""
    return {
        name: frozenset(canonicalize_name(d) for d in dists)
        for name, dists in packages_distributions().items()
    }


def third_party(name: str) -> bool:
    top = name.partition(".")[0]
    return bool(top) and top not in sys.stdlib_module_names and top not in LOCAL and top != "__future__"


def imports_in(source: str) -> set[str]:
    """Top-level names of every absolute import in one module's source, lazy ones included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.partition(".")[0])
    return {name for name in found if third_party(name)}


def local_module(folder: str, name: str) -> bool:
    """True when ``name`` is a module or package somewhere under ``folder`` (imported via sys.path)."""
    base = ROOT / folder
    return any(base.rglob(f"{name}.py")) or any(p.is_dir() for p in base.rglob(name))


@cache
def imports_of(folder: str) -> dict[str, set[str]]:
    """Third-party top-level import name -> the files under ``folder`` (relative to the root) importing it."""
    result: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for name in imports_in(path.read_text(encoding="utf-8")):
            result.setdefault(name, set()).add(rel)
    return result


def import_names_of(dists: Iterable[str]) -> set[str]:
    """Every top-level import name that one of these distributions provides."""
    wanted = set(dists)
    return {name for name, owners in import_owners().items() if owners & wanted}
