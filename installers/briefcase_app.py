"""Feed briefcase.toml to Briefcase: validate it, assemble a build folder, run Briefcase.

    python installers/briefcase_app.py check
    python installers/briefcase_app.py prepare --out build/briefcase
    python installers/briefcase_app.py build {linux,windows,macOS} --out build/briefcase [--format F]

Briefcase only reads ``[tool.briefcase]`` from a pyproject.toml next to the sources, so ``prepare``
writes one (project metadata + briefcase.toml), copies the kiosk sources and generates the icons.
``build`` then runs ``briefcase create/build/package`` there; it needs Briefcase installed and its
platform downloads (support packages, templates, WiX/linuxdeploy), which CI runners for each OS have.
``requires`` in briefcase.toml must be exactly the project's base dependencies plus its ``kiosk``
extra (same pins), so the bundle carries no server package.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "openreg_kiosk"
KIOSK_EXTRA = "kiosk"
LINUX_DEVICE_EXTRAS = ("fprint", "sane", "udev")  # the Linux system package's own requires
ICON_SIZES = (16, 32, 64, 128, 256, 512)
PLATFORM_FORMATS = {"linux": "system", "windows": "app", "macOS": "app"}


class ConfigError(Exception):
    pass


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def kiosk_requirements(project: dict) -> list[str]:
    """What the kiosk bundle installs: the base dependencies and the kiosk extra (pyproject.toml)."""
    extra = project.get("optional-dependencies", {}).get(KIOSK_EXTRA, [])
    return [*project["dependencies"], *(r for r in extra if _name(r) != project["name"])]


def load_config(root: Path = ROOT) -> tuple[dict, dict]:
    """(project table from pyproject.toml, tool.briefcase table from briefcase.toml), validated."""
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    briefcase = tomllib.loads((root / "briefcase.toml").read_text())["tool"]["briefcase"]
    problems = []
    if briefcase.get("version") != project["version"]:
        problems.append(
            f"briefcase.toml version {briefcase.get('version')!r} != pyproject {project['version']!r}"
        )
    for key in ("project_name", "bundle", "version", "license", "author"):
        if key not in briefcase:
            problems.append(f"briefcase.toml lacks {key}")
    app = briefcase.get("app", {}).get(APP)
    if app is None:
        raise ConfigError(f"briefcase.toml has no [tool.briefcase.app.{APP}]")
    pinned = {_name(r): r for r in kiosk_requirements(project)}
    requires = app.get("requires", [])
    for requirement in requires:
        if pinned.get(_name(requirement)) != requirement:
            problems.append(
                f"requires {requirement!r} does not match pyproject ({pinned.get(_name(requirement))!r})"
            )
    missing = sorted(set(pinned) - {_name(r) for r in requires})
    if missing:
        problems.append(
            f"requires lacks {', '.join(pinned[n] for n in missing)} (base + {KIOSK_EXTRA} extra)"
        )
    extras = project.get("optional-dependencies", {})
    device_pins = sorted(r for name in LINUX_DEVICE_EXTRAS for r in extras.get(name, []))
    linux_requires = sorted(app.get("linux", {}).get("system", {}).get("requires", []))
    if linux_requires != device_pins:
        problems.append(
            f"linux.system requires {linux_requires} != pyproject's {'/'.join(LINUX_DEVICE_EXTRAS)} extras"
            f" {device_pins}"
        )
    for source in app.get("sources", []):
        if not (root / source).is_dir() and not (root / "installers" / source).is_dir():
            problems.append(f"source {source!r} not found")
    for platform in PLATFORM_FORMATS:
        if platform not in app:
            problems.append(f"no [{platform}] section")
    if problems:
        raise ConfigError("; ".join(problems))
    return project, briefcase


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(v)}' for k, v in value.items()) + " }"
    raise ConfigError(f"cannot write {value!r} to TOML")


def _toml_tables(prefix: str, table: dict) -> list[str]:
    scalars = [f'"{k}" = {_toml_value(v)}' for k, v in table.items() if not _is_table(v)]
    lines = [f"[{prefix}]", *scalars, ""]
    for key, value in table.items():
        if _is_table(value):
            lines += _toml_tables(f"{prefix}.{key}", value)
    return lines


def _is_table(value: object) -> bool:
    # Sections (platforms, formats) become tables; small maps such as info/entitlement stay inline.
    return (isinstance(value, dict) and any(isinstance(v, dict) for v in value.values())) or (
        isinstance(value, dict) and not value
    )


def render_pyproject(project: dict, briefcase: dict) -> str:
    head = {
        "name": project["name"],
        "version": project["version"],
        "description": project["description"],
        "requires-python": project["requires-python"],
    }
    lines = [
        "# Generated by installers/briefcase_app.py from pyproject.toml + briefcase.toml; do not edit.",
        "",
    ]
    lines += _toml_tables("project", head)
    lines += _toml_tables("tool.briefcase", briefcase)
    return "\n".join(lines) + "\n"


def make_icons(out: Path) -> None:
    """Draw the app icon (Pillow) in every format Briefcase asks for."""
    from PIL import Image, ImageDraw

    out.mkdir(parents=True, exist_ok=True)
    base = Image.new("RGBA", (1024, 1024), (0, 0, 0, 0))
    draw = ImageDraw.Draw(base)
    draw.rounded_rectangle((64, 64, 960, 960), radius=180, fill=(20, 90, 160, 255))
    draw.ellipse((300, 190, 724, 614), fill=(255, 255, 255, 255))
    draw.rounded_rectangle((220, 660, 804, 840), radius=90, fill=(255, 255, 255, 255))
    for size in ICON_SIZES:
        base.resize((size, size), Image.LANCZOS).save(out / f"openreg-{size}.png")
    base.save(out / "openreg.png")
    base.save(out / "openreg.ico", sizes=[(s, s) for s in ICON_SIZES if s <= 256])
    base.save(out / "openreg.icns")


def prepare(out: Path, root: Path = ROOT) -> Path:
    project, briefcase = load_config(root)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    app = briefcase["app"][APP]
    for source in app["sources"]:
        src = root / source if (root / source).is_dir() else root / "installers" / source
        shutil.copytree(src, out / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    make_icons(out / "icons")
    (out / "pyproject.toml").write_text(render_pyproject(project, briefcase))
    for name in ("README.md", "LICENSE"):  # Briefcase puts the licence file in every installer
        if (root / name).exists():
            shutil.copyfile(root / name, out / name)
    return out


def build(platform: str, out: Path, fmt: str | None) -> int:
    if shutil.which("briefcase") is None:
        print("briefcase is not installed: pip install briefcase (and run on the target OS)", file=sys.stderr)
        return 2
    prepare(out)
    fmt = fmt or PLATFORM_FORMATS[platform]
    for step in ("create", "build", "package"):
        cmd = ["briefcase", step, platform, fmt, "--no-input"]
        print("+", " ".join(cmd), flush=True)
        if subprocess.run(cmd, cwd=out, check=False).returncode != 0:
            return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="validate briefcase.toml against pyproject.toml")
    prep = sub.add_parser("prepare", help="assemble the Briefcase build folder")
    prep.add_argument("--out", type=Path, default=ROOT / "build" / "briefcase")
    bld = sub.add_parser("build", help="prepare, then briefcase create/build/package")
    bld.add_argument("platform", choices=sorted(PLATFORM_FORMATS))
    bld.add_argument("--out", type=Path, default=ROOT / "build" / "briefcase")
    bld.add_argument(
        "--format", dest="fmt", help="Briefcase output format (system, appimage, flatpak, app, ...)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            project, _ = load_config()
            print(f"briefcase.toml OK for {project['name']} {project['version']}")
            return 0
        if args.command == "prepare":
            print(f"Briefcase project ready in {prepare(args.out)}")
            return 0
        return build(args.platform, args.out, args.fmt)
    except ConfigError as exc:
        print(f"briefcase.toml is not valid: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
