"""Where things are on a stick (see shared.media.models): folder names come from validated ids only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from shared.media.models import MANIFEST_NAME, MEDIA_FOLDER, PACKET_SUFFIX, PACKETS_DIR

_MACHINE_ID = re.compile(r"^[0-9]{5}$")
_RID = re.compile(r"^[0-9]{29}$")
MAX_KIOSK_FOLDERS = 500  # sub-folders of OpenReg/ looked at on one stick


class NotAnExport(ValueError):
    """The chosen folder holds no OpenReg export."""


def kiosk_folder(root: Path, machine_id: str) -> Path:
    """The folder of kiosk ``machine_id`` under ``root`` (a stick, any folder, or that kiosk folder)."""
    if not _MACHINE_ID.match(machine_id):
        raise ValueError(f"not a machine id: {machine_id!r}")
    if root.name == machine_id and root.parent.name == MEDIA_FOLDER:
        return root
    return root / MEDIA_FOLDER / machine_id


def packet_file(folder: Path, rid: str) -> Path:
    if not _RID.match(rid):
        raise ValueError(f"not a RID: {rid!r}")
    return folder / PACKETS_DIR / f"{rid}{PACKET_SUFFIX}"


def is_packet_name(name: str) -> bool:
    """``<rid>.age``: the only names an export writes (and so the only ones it may remove)."""
    return name.endswith(PACKET_SUFFIX) and bool(_RID.match(name.removesuffix(PACKET_SUFFIX)))


@dataclass
class StickContents:
    """Kiosk folders found under a chosen folder: finished exports, and unfinished ones (no manifest)."""

    exports: list[Path] = field(default_factory=list)
    unfinished: list[Path] = field(default_factory=list)


def find_exports(root: Path) -> StickContents:
    """The kiosk folders under ``root``: ``root`` itself when it is one, else ``root/OpenReg/<id>``."""
    if not root.is_dir():
        raise NotAnExport(f"{root} is not a folder")
    found = StickContents()
    if (root / MANIFEST_NAME).is_file() or (root / PACKETS_DIR).is_dir():
        candidates = [root]
    elif (root / MEDIA_FOLDER).is_dir():
        candidates = []
        for n, child in enumerate(sorted((root / MEDIA_FOLDER).iterdir())):
            if n >= MAX_KIOSK_FOLDERS:
                break
            if _MACHINE_ID.match(child.name) and child.is_dir() and not child.is_symlink():
                candidates.append(child)
    else:
        raise NotAnExport(f"there is no {MEDIA_FOLDER} folder and no export in {root}")
    for folder in candidates:
        if (folder / MANIFEST_NAME).is_file():
            found.exports.append(folder)
        elif (folder / PACKETS_DIR).is_dir():
            found.unfinished.append(folder)
    return found
