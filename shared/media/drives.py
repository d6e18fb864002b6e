"""Mounted removable drives (USB sticks, SD cards) to offer as export and import targets.

Linux: the mounts in ``/proc/mounts`` whose block device is on USB or flagged removable in sysfs.
Windows: drive letters of type "removable". macOS: the volumes under ``/Volumes`` except the system's.
Anything else offers none; a folder chooser always works.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Drive:
    path: Path
    label: str  # what the officer sees: the volume name (the mount folder's name)
    free_bytes: int | None
    total_bytes: int | None


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def _removable_block(device: str, sys_root: Path) -> bool:
    """Whether /dev/<name> is on USB or a removable disk (its sysfs node, or its disk's)."""
    name = Path(device).name
    node = sys_root / "class" / "block" / name
    try:
        real = node.resolve(strict=True)
    except OSError:
        return False
    if "/usb" in real.as_posix():
        return True
    for candidate in (real, real.parent):
        with contextlib.suppress(OSError, ValueError):
            if (candidate / "removable").read_text().strip() == "1":
                return True
    return False


def _with_space(path: Path, label: str) -> Drive:
    try:
        usage = shutil.disk_usage(path)
        return Drive(path, label, usage.free, usage.total)
    except OSError:
        return Drive(path, label, None, None)


def linux_drives(mounts_text: str, *, sys_root: Path = Path("/sys")) -> list[Drive]:
    """The removable mounts listed in ``mounts_text`` (the format of /proc/mounts)."""
    drives, seen = [], set()
    for line in mounts_text.splitlines()[:5000]:
        fields = line.split()
        if len(fields) < 3 or not fields[0].startswith("/dev/"):
            continue
        mount = Path(_unescape(fields[1]))
        if mount in seen or not _removable_block(fields[0], sys_root):
            continue
        seen.add(mount)
        drives.append(_with_space(mount, mount.name or str(mount)))
    return drives


def _windows_drives() -> list[Drive]:
    import ctypes
    import string

    kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
    mask = kernel.GetLogicalDrives()
    drives = []
    for i, letter in enumerate(string.ascii_uppercase):
        root = f"{letter}:\\"
        if mask >> i & 1 and kernel.GetDriveTypeW(root) == 2:  # DRIVE_REMOVABLE
            drives.append(_with_space(Path(root), f"{letter}:"))
    return drives


def _mac_drives() -> list[Drive]:
    volumes = Path("/Volumes")
    system = Path("/").resolve()
    return [
        _with_space(v, v.name) for v in sorted(volumes.iterdir())[:50] if v.is_dir() and v.resolve() != system
    ]


def removable_drives() -> list[Drive]:
    """The removable drives mounted now (never raises: none found is an empty list)."""
    try:
        if sys.platform.startswith("linux"):
            return linux_drives(Path("/proc/mounts").read_text(errors="replace"))
        if os.name == "nt":
            return _windows_drives()
        if sys.platform == "darwin":
            return _mac_drives()
    except (OSError, AttributeError, ValueError):
        pass
    return []
