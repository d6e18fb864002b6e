"""libfprint capture time, for bench_devices.py: a single-finger reader (libfprint's virtual_image driver
fed over its socket, so the whole library path runs) from capture request to ISO/IEC 19794-4 record.

Figures: host start and first discovery; per finger, the full round trip (request, libfprint capture
and minutiae detection, pixels over the pipe, quality estimate, lossless JPEG 2000, record) and the
host's own share of it (libfprint from capture start to image); a ten-finger registration's reader time.
"""

from __future__ import annotations

import statistics
import time

from device_drivers.fprint.source import FprintSource, unavailable_reason
from tests.support.virtual_fprint import VirtualReader, virtual_allowed

FINGERS = ("Right Thumb", "Right IndexFinger", "Right MiddleFinger", "Right RingFinger", "Right LittleFinger")


def fprint_capture_times(repeat: int = 10) -> None:
    reason = unavailable_reason()
    if reason is not None:
        print(f"libfprint capture: skipped, {reason}")
        return
    reader = VirtualReader()
    host = reader.host()
    seconds: list[float] = []
    library: list[float] = []
    try:
        started = time.perf_counter()
        source = FprintSource(allow_list=virtual_allowed(), host=host)
        [(_info, device)] = source.discover()
        print(f"libfprint host start + first discovery: {(time.perf_counter() - started) * 1000:.0f} ms")
        for i in range(repeat):
            subtype = FINGERS[i % len(FINGERS)]
            reader.fingers((1 + i % 5, i))
            began = time.perf_counter()
            [result] = device.capture(bio_subtypes=[subtype], timeout_s=10)
            seconds.append(time.perf_counter() - began)
            library.append(float(result.extra["library_s"]))
        source.close()
    finally:
        reader.close()
    median = statistics.median(seconds)
    print(
        f"libfprint single-finger capture to ISO record (virtual_image, 300x420, {repeat} fingers): "
        f"{median * 1000:.0f} ms median, {max(seconds) * 1000:.0f} ms max, of which libfprint (finger "
        f"asked to image, minutiae detection included) {statistics.median(library) * 1000:.0f} ms median; "
        f"a ten-finger registration: {10 * median:.1f} s of reader time plus the officer's finger placing"
    )
