"""A locally seeded kiosk for screenshots, benchmarks and GUI tests that do not need a server.

It loads the project's demo ID schema and UI spec (sync_server/demo_data, read as files: the client
never imports the server) plus a few users, genders, locations and document types through the core's
own master-data import, and records an approved enrolment. Real deployments get all of this by sync.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyrage

from client.core.authentication import hash_password
from client.core.bootstrap import ClientApp, build_client, default_sealer
from client.core.master_data import apply_changes
from client.core.settings import ClientSettings
from shared.signing import generate_private_key, public_key_b64

DEMO_DATA = Path(__file__).resolve().parents[1] / "sync_server" / "demo_data"
OPERATOR = ("op1", "Olu Bakare", "op-pass")
SUPERVISOR = ("sup1", "Sara Haddad", "sup-pass")
SUPERVISOR_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# A complete adult's first wizard page in this kiosk's demo master data.
SAMPLE_PERSON = {
    "consent": "I_AGREE",
    "fullName": "Amina Diallo",
    "dateOfBirth": "1991-04-12",
    "gender": "FLE",
    "region": "R1",
    "province": "P1",
    "city": "C1",
    "addressLine": "12 Palm St",
}

_EXTRA: dict[str, list[dict[str, Any]]] = {
    "centers": [{"id": "10001", "name": "Capital Central", "location_id": "R1P1C1"}],
    "genders": [
        {"id": "FLE", "labels": {"eng": "Female", "fra": "Femme", "ara": "أنثى"}},
        {"id": "MLE", "labels": {"eng": "Male", "fra": "Homme", "ara": "ذكر"}},
    ],
    "locations": [
        {
            "id": "R1",
            "level": "region",
            "labels": {"eng": "Northern Region", "fra": "Région Nord", "ara": "المنطقة الشمالية"},
        },
        {
            "id": "R2",
            "level": "region",
            "labels": {"eng": "Coastal Region", "fra": "Région côtière", "ara": "المنطقة الساحلية"},
        },
        {
            "id": "P1",
            "level": "province",
            "parent_id": "R1",
            "labels": {"eng": "Hill Province", "ara": "مقاطعة التلال"},
        },
        {
            "id": "P2",
            "level": "province",
            "parent_id": "R2",
            "labels": {"eng": "Bay Province", "ara": "مقاطعة الخليج"},
        },
        {
            "id": "C1",
            "level": "city",
            "parent_id": "P1",
            "labels": {"eng": "Hightown", "ara": "المدينة العليا"},
        },
        {"id": "C2", "level": "city", "parent_id": "P2", "labels": {"eng": "Port Amal", "ara": "ميناء أمل"}},
        {"id": "Z1", "level": "postal_code", "parent_id": "C1", "labels": {"eng": "10100"}},
        {"id": "Z2", "level": "postal_code", "parent_id": "C2", "labels": {"eng": "20200"}},
    ],
    "document_types": [
        {
            "id": "passport",
            "category_id": "POI",
            "labels": {"eng": "Passport", "fra": "Passeport", "ara": "جواز سفر"},
        },
        {
            "id": "utility_bill",
            "category_id": "POA",
            "labels": {"eng": "Utility bill", "fra": "Facture", "ara": "فاتورة"},
        },
        {
            "id": "birth_cert",
            "category_id": "POR",
            "labels": {"eng": "Birth certificate", "ara": "شهادة ميلاد"},
        },
    ],
    "config": [{"id": "login.max_failures", "value": 3}],
}


class UnavailableSealer:
    """Used only when the packet adapter is not installed: sealing is refused with a clear message."""

    def seal(self, **_: Any):
        raise RuntimeError(
            "packet sealing is not available in this build (client.core packet adapter missing)"
        )

    def find(self, **_: Any):
        return None


def demo_rows() -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    for name in ("id_schema.json", "ui_spec.json"):
        entities = json.loads((DEMO_DATA / name).read_text(encoding="utf-8"))["entities"]
        rows += [(entity, r) for entity, items in entities.items() for r in items]
    demo_md = json.loads((DEMO_DATA / "masterdata.json").read_text(encoding="utf-8"))["entities"]
    rows += [("reject_reasons", r) for r in demo_md.get("reject_reasons", [])]
    have = {e for e, _ in rows}
    for entity, items in _EXTRA.items():
        if entity not in have:
            rows += [(entity, r) for r in items]
    return rows


def seeded_kiosk(
    data_dir: Path, *, sealer=None, extra_rows: list[tuple[str, dict]] = (), recipient: str | None = None
) -> ClientApp:
    """Build (or reopen) a kiosk in ``data_dir`` with local demo master data and an approved enrolment.
    ``recipient``: the age recipient packets are sealed to (a throwaway one unless a test must open them)."""
    settings = ClientSettings(data_dir=data_dir, keyring_file=data_dir / "keyring.cfg", center_id="10001")
    if sealer is None:
        try:
            sealer = default_sealer  # resolved below so a missing adapter does not break the window
            client = build_client(settings)
        except ImportError:
            client = build_client(settings, sealer=UnavailableSealer())
    else:
        client = build_client(settings, sealer=sealer)
    users = [
        {
            "id": OPERATOR[0],
            "name": OPERATOR[1],
            "roles": ["operator"],
            "password_hash": hash_password(OPERATOR[2]),
            "center_id": "10001",
        },
        {
            "id": SUPERVISOR[0],
            "name": SUPERVISOR[1],
            "roles": ["supervisor", "operator"],
            "password_hash": hash_password(SUPERVISOR[2]),
            "totp_secret": SUPERVISOR_TOTP,
            "center_id": "10001",
        },
    ]
    rows = demo_rows() + [("users", u) for u in users] + list(extra_rows)
    with client.store.transaction() as conn:
        apply_changes(
            conn,
            [
                {"seq": i, "entity": e, "id": d["id"], "op": "upsert", "data": d}
                for i, (e, d) in enumerate(rows)
            ],
        )
    if not client.machine.identity().enrolled:
        # A local stand-in server identity: keys pinned exactly as an enrolment answer would pin them.
        server_key = generate_private_key()
        recipient = recipient or str(pyrage.x25519.Identity.generate().to_public())
        client.machine.record_enrolment(
            status="approved",
            machine_id="10042",
            center_id="10001",
            signing_key=public_key_b64(server_key),
            recipients=[recipient],
            recipient_key_id="local",
        )
    client.master_data.center_id = "10001"
    return client


class SampleBiometricSource:
    """Generated ISO-style records from ``demo.samples`` (what the headless demo falls back to) behind
    the capture port's ``capture_group`` / ``preview_frame``, for screenshots and the benchmark without a
    simulator process. ``preview_frame`` returns a new encoded frame per call, like a stream."""

    def __init__(self, *, quality: int = 85) -> None:
        self.quality, self.calls = quality, 0

    def capture_group(self, group: str, *, exceptions: tuple[str, ...] = ()):
        from demo.samples import capture_group

        self.calls += 1
        records = capture_group(group, seed=self.calls, quality=self.quality)
        return [r for r in records if r.bio_subtype not in exceptions]

    def preview_frame(self, group: str) -> bytes | None:
        from client.core.registration.record_images import embedded_image

        self.calls += 1
        return embedded_image(self.capture_group(group)[0].record)
