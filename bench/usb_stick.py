"""An emulated USB stick for bench/bench_usb.py: an ext4 image on a loop device whose reads and writes
the kernel throttles to a stick's speeds (the blkio controller of cgroup v1, or io.max on cgroup v2).

A stick writes several times slower than it reads (a USB 3 stick about 30 MB/s and 100 MB/s), which
this machine's virtual disk does not; the export's read-back costs what it costs on such a medium only
there. Linux and root only (losetup, mount, a cgroup of our own): :func:`unavailable` says why not.
The benchmark's process moves into the throttled cgroup while the stick is mounted, and back after.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
MB = 1_000_000


@dataclass(frozen=True)
class Stick:
    """A mounted emulated stick: ``mount`` is its folder, ``device`` its loop device (e.g. loop0)."""

    mount: Path
    device: str
    write_mb_s: float
    read_mb_s: float

    def bytes_read(self) -> int:
        """Bytes read from the device since it was set up (the block layer's count: cache hits excluded)."""
        return int((Path("/sys/block") / self.device / "stat").read_text().split()[2]) * 512

    def describe(self) -> str:
        return (
            f"emulated stick: ext4 on /dev/{self.device}, writes throttled to {self.write_mb_s:g} MB/s "
            f"and reads to {self.read_mb_s:g} MB/s"
        )


def unavailable() -> str | None:
    """Why this machine cannot emulate a stick, or None when it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root (loop device, mount, cgroup)"
    missing = [tool for tool in ("losetup", "mkfs.ext4", "mount", "umount") if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)}"
    if _v2_io() is None and not (CGROUP / "blkio").is_dir():
        return "needs the blkio (cgroup v1) or io (cgroup v2) controller"
    return None


def _v2_io() -> Path | None:
    """The cgroup v2 root when it offers the io controller."""
    controllers = CGROUP / "cgroup.controllers"
    if controllers.is_file() and "io" in controllers.read_text().split():
        return CGROUP
    return None


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path in the hierarchy of ``controller`` ("" for cgroup v2)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _number, names, path = line.split(":", 2)
        if controller in names.split(","):
            return path
    return "/"


@contextmanager
def _throttled(major_minor: str, write_mb_s: float, read_mb_s: float) -> Iterator[None]:
    """This process in a cgroup of its own that limits its reads and writes of one device."""
    wbps, rbps = int(write_mb_s * MB), int(read_mb_s * MB)
    v2 = _v2_io() is not None
    root = CGROUP if v2 else CGROUP / "blkio"
    if v2:
        (root / "cgroup.subtree_control").write_text("+io")
    limits = (
        {"io.max": f"{major_minor} rbps={rbps} wbps={wbps}"}
        if v2
        else {
            "blkio.throttle.write_bps_device": f"{major_minor} {wbps}",
            "blkio.throttle.read_bps_device": f"{major_minor} {rbps}",
        }
    )
    home = root / _own_cgroup("" if v2 else "blkio").lstrip("/") / "cgroup.procs"
    group = root / f"openreg-bench-{os.getpid()}"
    group.mkdir()
    try:
        for name, value in limits.items():
            (group / name).write_text(value)
        (group / "cgroup.procs").write_text(str(os.getpid()))
        try:
            yield
        finally:
            home.write_text(str(os.getpid()))
    finally:
        group.rmdir()


@contextmanager
def emulated_stick(folder: Path, size_bytes: int, write_mb_s: float, read_mb_s: float) -> Iterator[Stick]:
    """A fresh ext4 stick of ``size_bytes`` (a sparse image in ``folder``), mounted and throttled for
    the ``with`` block; everything is undone after it, also on an error."""
    image, mount = folder / "stick.img", folder / "stick"
    with open(image, "wb") as handle:
        handle.truncate(size_bytes)
    _run("mkfs.ext4", "-q", "-F", "-m", "0", str(image))
    loop = _run("losetup", "--show", "-f", str(image))
    try:
        mount.mkdir()
        _run("mount", loop, str(mount))
        try:
            device = Path(loop).name
            major_minor = (Path("/sys/block") / device / "dev").read_text().strip()
            with _throttled(major_minor, write_mb_s, read_mb_s):
                yield Stick(mount, device, write_mb_s, read_mb_s)
        finally:
            _run("umount", str(mount))
    finally:
        _run("losetup", "-d", loop)
        image.unlink(missing_ok=True)
