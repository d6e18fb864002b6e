"""No data loss, no duplicates: uploads cut at random points (client SIGKILLed, server SIGKILLed)
resume to one correct packet; concurrent uploads of one RID produce one packet."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time

from tests.integration.sync_server.kiosk import Kiosk, random_packet

SIZE = 1_500_000


def _assert_one_correct_packet(server, kiosk: Kiosk, rid: str, data: bytes) -> None:
    assert kiosk.status(rid)[rid]["status"] == "received"
    packets = server.data_dir / "packets"
    assert (packets / f"{rid}.age").read_bytes() == data
    assert not (packets / "partial" / f"{rid}.part").exists()
    assert sorted(p.name for p in packets.glob("*.age")) == [f"{rid}.age"]


def test_client_killed_at_random_points_resumes(server, tmp_path):
    rng = random.Random(7)
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    data = random_packet(SIZE)
    source = tmp_path / "packet.age"
    source.write_bytes(data)
    rid = kiosk.new_rid()
    assert kiosk.register(rid, data).status_code == 200
    offsets = []
    for _attempt in range(3):
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.sync_server.upload_child",
                server.url,
                kiosk.token,
                rid,
                str(source),
            ]
        )
        time.sleep(rng.uniform(0.05, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        offsets.append(int(kiosk.offset(rid).headers["Upload-Offset"]))
    assert offsets == sorted(offsets) and offsets[-1] <= SIZE
    kiosk.upload(rid, data)  # resume from the server's offset
    _assert_one_correct_packet(server, kiosk, rid, data)


def test_server_sigkilled_mid_upload_resumes_after_restart(server):
    rng = random.Random(11)
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    data = random_packet(SIZE)
    rid = kiosk.new_rid()
    assert kiosk.register(rid, data).status_code == 200
    for _round in range(2):
        uploader = threading.Thread(target=_upload_until_error, args=(kiosk, rid, data), daemon=True)
        uploader.start()
        time.sleep(rng.uniform(0.05, 0.3))
        server.kill()
        uploader.join(timeout=30)
        server.start()  # same data dir and database, new port
        kiosk.url = server.url
        offset = int(kiosk.offset(rid).headers["Upload-Offset"])  # recomputed from the bytes on disk
        assert 0 <= offset <= SIZE
    kiosk.upload(rid, data)
    _assert_one_correct_packet(server, kiosk, rid, data)


def _upload_until_error(kiosk: Kiosk, rid: str, data: bytes) -> None:
    try:
        offset = int(kiosk.offset(rid).headers["Upload-Offset"])
        while offset < len(data):
            response = kiosk.patch(rid, offset, data[offset : offset + 16 * 1024])
            offset = int(response.headers["Upload-Offset"])
    except Exception:
        return


def test_concurrent_uploads_of_one_rid_make_one_packet(server):
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    data = random_packet(SIZE)
    rid = kiosk.new_rid()
    errors: list[BaseException] = []

    def worker(chunk: int) -> None:
        try:
            own = Kiosk(server.url)
            own.machine_id, own.token, own.key = kiosk.machine_id, kiosk.token, kiosk.key
            assert own.register(rid, data).status_code == 200
            own.upload(rid, data, chunk=chunk)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(c,)) for c in (50_000, 64_000, 100_000, 333_333, 1_000_000)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    _assert_one_correct_packet(server, kiosk, rid, data)
