"""A kiosk process for crash tests: registers sample people (or uploads) until it is killed.

Run as ``python -m tests.integration.client.kiosk_child register|upload DATA_DIR KEYRING``. After each
receipt it prints ``SEALED <rid> <sha256>`` and flushes, so the parent knows which registrations were
handed a receipt before it sent SIGKILL.
"""

from __future__ import annotations

import sys
from pathlib import Path

from client.core.bootstrap import build_client
from client.core.registration.biometrics import CAPTURE_GROUPS
from client.core.settings import ClientSettings
from demo.samples import capture_group, document_scan, sample_person


def settings(data_dir: Path, keyring: Path, server_url: str | None = None) -> ClientSettings:
    return ClientSettings(
        data_dir=data_dir,
        keyring_file=keyring,
        server_url=server_url,
        backoff_initial_s=0.05,
        backoff_max_s=0.5,
        upload_chunk_bytes=16 * 1024,
    )


def register_forever(app) -> None:
    session = app.authentication.login(user_id="op1", password="op-pass")
    locations = {"region": "R1", "province": "P1", "city": "C1"}
    index = 0
    while True:
        person = sample_person(index, locations=locations, gender="FLE")
        reg = app.registrations.start(session=session)
        assert reg.submit_demographics(person.demographics).ok
        reg.add_document(
            field_id="proofOfIdentity",
            doc_type="passport",
            name="p.jpg",
            content_type="image/jpeg",
            data=document_scan(index, target_bytes=150_000),
        )
        assert reg.submit_documents().ok
        for group in CAPTURE_GROUPS:
            reg.record_capture(group=group, records=capture_group(group, seed=index))
        assert reg.submit_biometrics() == {}
        finished = app.registrations.finish(session=session, registration=reg)
        print(f"SEALED {finished.rid} {finished.sha256}", flush=True)
        index += 1


def main() -> None:
    mode, data_dir, keyring = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    server_url = sys.argv[4] if len(sys.argv) > 4 else None
    app = build_client(settings(data_dir, keyring, server_url))
    print("READY", flush=True)
    if mode == "register":
        register_forever(app)
    else:
        report = app.upload_agent().upload_approved()
        print(f"UPLOADED {len(report.uploaded)} FAILED {len(report.failed)}", flush=True)


if __name__ == "__main__":
    main()
