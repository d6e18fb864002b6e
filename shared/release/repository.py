"""The TUF repository the release operator signs and the sync server (or a USB stick) serves.

Consistent snapshots are on, so every metadata and target file is written under a name that
never changes afterwards (``N.targets.json``, ``<sha256>.openreg-1.2.0.tar.gz``); a mirror or a
half-copied stick never mixes versions. Only ``timestamp.json`` is rewritten in place, atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from packaging.version import Version
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from shared.files import atomic_write
from shared.release.bundle import read_bundle_manifest
from shared.release.keys import RoleKey

LATEST_TARGET = "latest.json"
SPEC_VERSION = "1.0.31"


class RepositoryError(Exception):
    """The repository is missing, inconsistent, or an operation would weaken it."""


@dataclass(frozen=True)
class Expiry:
    """Lifetimes in days. Timestamp/snapshot are short (freeze-attack window) but long enough that a
    USB-stick copy made with a fresh ``release refresh`` still verifies at a remote site for a week."""

    root: int = 365
    targets: int = 90
    snapshot: int = 30
    timestamp: int = 7

    def expires(self, role: str, *, now: datetime | None = None) -> datetime:
        base = (now or datetime.now(UTC)).replace(microsecond=0)
        return base + timedelta(days=getattr(self, role))


class Repository:
    """Operator-side view of one repository directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.metadata_dir = directory / "metadata"
        self.targets_dir = directory / "targets"

    # -- reading -------------------------------------------------------------------------------
    def exists(self) -> bool:
        return (self.metadata_dir / "root.json").exists()

    def load(self, role: str) -> Metadata[Any]:
        path = self.metadata_dir / f"{role}.json"
        if not path.exists():
            raise RepositoryError(f"{self.directory} is not an OpenReg release repository (no {path.name})")
        return Metadata.from_file(str(path))

    def latest(self) -> dict[str, Any] | None:
        """The ``latest.json`` pointer as published, or None before the first release."""
        info = self.load("targets").signed.targets.get(LATEST_TARGET)
        if info is None:
            return None
        digest = info.hashes["sha256"]
        return json.loads((self.targets_dir / f"{digest}.{LATEST_TARGET}").read_text())

    # -- writing -------------------------------------------------------------------------------
    def _persist(self, md: Metadata[Any], *, versioned: bool) -> None:
        data = md.to_bytes(JSONSerializer(compact=False))
        role = md.signed.type
        if versioned:
            atomic_write(self.metadata_dir / f"{md.signed.version}.{role}.json", data)
        atomic_write(self.metadata_dir / f"{role}.json", data)

    def _sign(self, md: Metadata[Any], keys: list[RoleKey]) -> None:
        md.signatures.clear()
        for key in keys:
            md.sign(key.signer, append=True)

    def init(self, *, keys: dict[str, RoleKey], expiry: Expiry = Expiry()) -> None:
        """Create root v1 and empty targets/snapshot/timestamp, each signed by its own key."""
        if self.exists():
            raise RepositoryError(f"{self.directory} already holds a repository; refusing to overwrite it")
        root = Root(expires=expiry.expires("root"), consistent_snapshot=True)
        for role, key in keys.items():
            root.add_key(key.public, role)
        root_md = Metadata(root)
        self._sign(root_md, [keys["root"]])
        self._persist(root_md, versioned=True)
        targets_md = Metadata(Targets(expires=expiry.expires("targets")))
        self._sign(targets_md, [keys["targets"]])
        self._persist(targets_md, versioned=True)
        self._resign_snapshot_and_timestamp(keys=keys, expiry=expiry)

    def _resign_snapshot_and_timestamp(self, *, keys: dict[str, RoleKey], expiry: Expiry) -> None:
        targets = self.load("targets").signed
        if (self.metadata_dir / "snapshot.json").exists():
            snapshot = self.load("snapshot").signed
            snapshot.version += 1
        else:
            snapshot = Snapshot(expires=expiry.expires("snapshot"))
        snapshot.meta["targets.json"] = MetaFile(version=targets.version)
        snapshot.expires = expiry.expires("snapshot")
        snapshot_md = Metadata(snapshot)
        self._sign(snapshot_md, [keys["snapshot"]])
        self._persist(snapshot_md, versioned=True)

        if (self.metadata_dir / "timestamp.json").exists():
            timestamp = self.load("timestamp").signed
            timestamp.version += 1
        else:
            timestamp = Timestamp(expires=expiry.expires("timestamp"))
        timestamp.snapshot_meta = MetaFile(version=snapshot.version)
        timestamp.expires = expiry.expires("timestamp")
        timestamp_md = Metadata(timestamp)
        self._sign(timestamp_md, [keys["timestamp"]])
        self._persist(timestamp_md, versioned=False)

    def _add_target(self, name: str, path: Path, custom: dict[str, Any]) -> TargetFile:
        info = TargetFile.from_file(name, str(path), ["sha256"])
        info.unrecognized_fields["custom"] = custom
        dest = self.targets_dir / f"{info.hashes['sha256']}.{name}"
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        if not dest.exists():
            tmp = dest.with_name(f".{dest.name}.part")
            shutil.copyfile(path, tmp)
            os.replace(tmp, dest)
        return info

    def publish(
        self, bundle: Path, *, keys: dict[str, RoleKey], expiry: Expiry = Expiry(), notes: str = ""
    ) -> dict[str, Any]:
        """Add ``bundle`` as a target, point ``latest.json`` at it, re-sign targets/snapshot/timestamp.

        Refuses a bundle whose version is not newer than the published latest (a rollback is never
        something to publish; ship a new version with the old code instead).
        """
        manifest = read_bundle_manifest(bundle)
        version = manifest["version"]
        current = self.latest()
        if current is not None and Version(version) <= Version(current["version"]):
            raise RepositoryError(
                f"bundle version {version} is not newer than the published {current['version']}; "
                "publish a higher version number"
            )
        targets_md = self.load("targets")
        targets = targets_md.signed
        name = bundle.name
        sha = hashlib.sha256(bundle.read_bytes()).hexdigest()
        targets.targets[name] = self._add_target(
            name, bundle, {"version": version, "kind": "openreg-bundle", "python": manifest.get("python")}
        )
        pointer = {
            "version": version,
            "target": name,
            "sha256": sha,
            "published": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "notes": notes,
        }
        with tempfile.TemporaryDirectory() as tmp:
            pointer_path = Path(tmp) / LATEST_TARGET
            pointer_path.write_text(json.dumps(pointer, indent=2, sort_keys=True))
            targets.targets[LATEST_TARGET] = self._add_target(
                LATEST_TARGET, pointer_path, {"kind": "pointer"}
            )
        targets.version += 1
        targets.expires = expiry.expires("targets")
        self._sign(targets_md, [keys["targets"]])
        self._persist(targets_md, versioned=True)
        self._resign_snapshot_and_timestamp(keys=keys, expiry=expiry)
        return pointer

    def refresh(self, *, keys: dict[str, RoleKey], expiry: Expiry = Expiry()) -> None:
        """New snapshot + timestamp versions with fresh expiry, using only the online keys."""
        self._resign_snapshot_and_timestamp(keys=keys, expiry=expiry)

    def rotate(
        self,
        role: str,
        *,
        new_key: RoleKey,
        old_root_keys: list[RoleKey],
        keys: dict[str, RoleKey],
        expiry: Expiry = Expiry(),
    ) -> int:
        """Replace ``role``'s key with ``new_key`` in a new root version.

        The new root is signed by the old root key(s) *and* the current root key(s), so clients that
        trust the old root accept it (TUF root chaining). When a non-root role rotates, that role's
        metadata (and the ones above it) is re-signed with the new key. ``keys`` holds the keys in
        force after the rotation. Returns the new root version.
        """
        root_md = self.load("root")
        root = root_md.signed
        for keyid in list(root.roles[role].keyids):
            root.revoke_key(keyid, role)
        root.add_key(new_key.public, role)
        root.version += 1
        root.expires = expiry.expires("root")
        signers = {k.keyid: k for k in [*old_root_keys, keys["root"]]}
        self._sign(root_md, list(signers.values()))
        self._persist(root_md, versioned=True)
        if role == "targets":
            targets_md = self.load("targets")
            targets_md.signed.version += 1
            self._sign(targets_md, [keys["targets"]])
            self._persist(targets_md, versioned=True)
        if role in ("targets", "snapshot", "timestamp"):
            self._resign_snapshot_and_timestamp(keys=keys, expiry=expiry)
        return root.version

    def expiry_report(self) -> list[tuple[str, int, datetime]]:
        """(role, version, expires) for each top-level role, soonest first."""
        rows = [(r, self.load(r).signed.version, self.load(r).signed.expires) for r in Repository.ROLES]
        return sorted(rows, key=lambda row: row[2])

    ROLES = ("root", "targets", "snapshot", "timestamp")
