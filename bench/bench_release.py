"""Release figures: bundle build, publish, verify, and a kiosk update (stage + apply) for a tiny bundle,
plus TUF verification throughput on a 50 MB target. Run: .venv/bin/python bench/bench_release.py
(CPU is shared with other work while this runs, so treat the figures as upper bounds)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from client.core.updates import UpdateManager
from shared.release.bundle import build_bundle
from shared.release.channel import ReleaseChannel
from shared.release.keys import ROLES, generate_role_key
from shared.release.repository import Repository
from tests.integration.release.conftest import make_tiny_project


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    print(f"{label:<48} {time.perf_counter() - start:7.2f} s")
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        keys = {role: generate_role_key(role, name=role) for role in ROLES}
        repo = Repository(base / "repo")
        timed("init repository (4 keys)", lambda: repo.init(keys=keys))
        bundles = [
            timed(
                f"build tiny bundle {v}",
                lambda v=v: build_bundle(
                    project_dir=make_tiny_project(base / "src", version=v),
                    out_dir=base / "dist",
                    with_dependencies=False,
                ),
            )
            for v in ("0.1.0", "0.2.0")
        ]
        timed("publish bundle (targets+snapshot+timestamp)", lambda: repo.publish(bundles[1], keys=keys))
        trusted = (repo.metadata_dir / "1.root.json").read_bytes()
        timed(
            "verify latest (fresh cache)",
            lambda: ReleaseChannel(
                source=repo.directory, trusted_root=trusted, cache_dir=base / "c1"
            ).latest(),
        )
        manager = UpdateManager(install_root=base / "kiosk", trusted_root=trusted)
        timed("install first version (venv + pip --no-index)", lambda: manager.install_first(bundles[0]))
        timed("check_and_stage 0.2.0 from folder", lambda: manager.check_and_stage(source=repo.directory))
        timed("apply_on_start (install + switch + start check)", manager.apply_on_start)

        big = base / "dist" / "openreg-9.0.0.tar.gz"
        big.write_bytes(os.urandom(50 * 1024 * 1024))
        from tuf.api.metadata import TargetFile

        info = timed(
            "hash 50 MB target for metadata", lambda: TargetFile.from_file("x", str(big), ["sha256"])
        )
        with big.open("rb") as handle:
            timed("verify 50 MB target against signed hash", lambda: info.verify_length_and_hashes(handle))


if __name__ == "__main__":
    main()
