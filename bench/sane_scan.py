"""SANE scan time: one A4 page at 300 dpi in colour from SANE's ``test`` backend, through the kiosk's
adapter (device_drivers.sane, JPEG pages; then the document PDF), in the SANE host process as the kiosk
runs it and in this process (the difference is the host's cost), against the ``scanimage`` command-line
tool scanning the same test page (PNM, and JPEG where it was built with it). Called by bench_devices.py.

scanimage's figure includes its process start and sane_init; the adapter's does not (the kiosk keeps
libsane open), but it includes encoding the page as JPEG.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.sane import sane_test_backend_missing, write_sane_config

REPEAT = 3


def _median(fn) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def sane_scan_times() -> None:
    if reason := sane_test_backend_missing():
        print(f"SANE scan: skipped ({reason})")
        return
    from client.core.document_scan import assemble_pdf
    from device_drivers.allow_list import AllowList
    from device_drivers.sane import SaneBackend, SaneSource, ScanSettings
    from device_drivers.sane.remote import SaneHostBackend

    with tempfile.TemporaryDirectory() as tmp:
        config = write_sane_config(Path(tmp) / "sane")
        os.environ["SANE_CONFIG_DIR"] = str(config)  # before this process's first sane_init
        # the kiosk's way (libsane in its host process) and libsane in this process: the host's cost
        allow = AllowList([{"id": "T", "modality": "document", "sane_device": "test:0"}])
        a4 = ScanSettings(resolution_dpi=300, page_size="A4", mode="color")
        for where, backend in (("SANE host", SaneHostBackend()), ("in process", SaneBackend())):
            try:
                scanner = dict((i.key, d) for i, d in SaneSource(backend, allow).discover())["sane:test:0"]
                scanner.scan(a4)  # warm: open the device
                ours = _median(lambda s=scanner, a=a4: s.scan(a))
                [page] = scanner.scan(a4)
                pdf = _median(lambda p=page: assemble_pdf([p]))
                print(
                    f"SANE scan A4 300 dpi colour ({page.width}x{page.height}), {where}, adapter to JPEG "
                    f"({len(page.jpeg) // 1024} KiB): {ours * 1000:.0f} ms median; + PDF: {pdf * 1000:.0f} ms"
                )
            finally:
                backend.close()
        tool = shutil.which("scanimage")
        if tool is None:
            print("scanimage: not installed (sane-utils)")
            return
        env = {**os.environ, "SANE_CONFIG_DIR": str(config)}
        out = Path(tmp) / "page"
        for fmt in ("pnm", "jpeg"):
            command = [
                tool,
                "-d",
                "test:0",
                "--mode",
                "Color",
                "--resolution",
                "300",
                "-x",
                "210",
                "-y",
                "297",
            ]
            command += [f"--format={fmt}", "-o", f"{out}.{fmt}"]
            if subprocess.run(command, env=env, capture_output=True, check=False).returncode != 0:
                print(f"scanimage --format={fmt}: not supported by this build")
                continue
            spent = _median(lambda c=command: subprocess.run(c, env=env, capture_output=True, check=True))
            size = Path(f"{out}.{fmt}").stat().st_size // 1024
            print(
                f"scanimage A4 300 dpi colour to {fmt.upper()} ({size} KiB, process included): {spent * 1000:.0f} ms median"
            )
