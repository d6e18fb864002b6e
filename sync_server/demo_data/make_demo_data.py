"""Regenerate masterdata.json (demo master data in the import format) and check the hand-written form
rows beside it. Run from the repo root: ``.venv/bin/python -m sync_server.demo_data.make_demo_data``.
Passwords: docs/demo-data.md."""

from __future__ import annotations

import json
from pathlib import Path

from argon2 import PasswordHasher

from shared.forms import FLOWS, load_id_schema, load_ui_spec

CENTERS = [
    ("10001", "Capital Central", "CT-001"),
    ("10002", "Northport", "CT-010"),
    ("10003", "Eastvale", "CT-020"),
]
TOTP = {
    "supervisor1": "JBSWY3DPEHPK3PXP",
    "supervisor2": "KRSXG5CTMVRXEZLU",
    "supervisor3": "MFRGGZDFMZTWQ2LK",
}

CONSOLE_USERS = [
    ("centeradmin1", "Center Admin 1", ["center_admin"], ["10001"]),
    ("auditor", "Demo Auditor", ["auditor"], []),
    ("adjudicator", "Demo Adjudicator", ["adjudicator"], []),
    ("reports", "Demo Report Manager", ["report_manager"], []),
]


def _labels(eng: str, fra: str, ara: str) -> dict[str, str]:
    return {"eng": eng, "fra": fra, "ara": ara}


def build() -> dict:
    hasher = PasswordHasher()
    users = [
        {
            "id": "admin",
            "name": "Demo Admin",
            "roles": ["admin"],
            "password_hash": hasher.hash("admin-demo"),
            "active": True,
        }
    ]
    for n, (center, _name, _loc) in enumerate(CENTERS, start=1):
        users.append(
            {
                "id": f"operator{n}",
                "name": f"Operator {n}",
                "roles": ["operator"],
                "center_id": center,
                "password_hash": hasher.hash(f"operator{n}-demo"),
                "active": True,
            }
        )
        users.append(
            {
                "id": f"supervisor{n}",
                "name": f"Supervisor {n}",
                "roles": ["operator", "supervisor"],
                "center_id": center,
                "password_hash": hasher.hash(f"supervisor{n}-demo"),
                "totp_secret": TOTP[f"supervisor{n}"],
                "active": True,
            }
        )
    # head-office roles for the web console (each enrols its own TOTP at first console sign-in)
    for user_id, name, roles, centers in CONSOLE_USERS:
        row = {"id": user_id, "name": name, "roles": roles, "password_hash": hasher.hash(f"{user_id}-demo")}
        if centers:
            row |= {"center_id": centers[0], "center_ids": centers}
        users.append(row | {"active": True})
    regions = [
        ("R1", "Northland", "Terre du Nord", "الأرض الشمالية"),
        ("R2", "Southmere", "Mer du Sud", "البحر الجنوبي"),
    ]
    locations = []
    for rid, eng, fra, ara in regions:
        locations.append({"id": rid, "parent_id": None, "level": "region", "labels": _labels(eng, fra, ara)})
        for p in (1, 2):
            pid = f"{rid}P{p}"
            locations.append(
                {
                    "id": pid,
                    "parent_id": rid,
                    "level": "province",
                    "labels": _labels(f"{eng} Province {p}", f"Province {p} de {fra}", f"مقاطعة {p}"),
                }
            )
            for c in (1, 2):
                cid = f"{pid}C{c}"
                locations.append(
                    {
                        "id": cid,
                        "parent_id": pid,
                        "level": "city",
                        "labels": _labels(f"City {cid}", f"Ville {cid}", f"مدينة {cid}"),
                    }
                )
                for z in (1, 2):
                    code = f"{rid[1]}{p}{c}{z}0"
                    locations.append(
                        {
                            "id": code,
                            "parent_id": cid,
                            "level": "postal_code",
                            "labels": _labels(code, code, code),
                        }
                    )
    return {
        "format": "openreg-masterdata/1",
        "entities": {
            "languages": [
                {"id": "eng", "name": "English", "rtl": False},
                {"id": "fra", "name": "Français", "rtl": False},
                {"id": "ara", "name": "العربية", "rtl": True},
            ],
            "centers": [
                {"id": cid, "name": name, "location_id": "R1P1C1", "timezone": "UTC", "active": True}
                for cid, name, _loc in CENTERS
            ],
            "users": users,
            "genders": [
                {"id": "FLE", "labels": _labels("Female", "Femme", "أنثى")},
                {"id": "MLE", "labels": _labels("Male", "Homme", "ذكر")},
                {"id": "OTH", "labels": _labels("Other", "Autre", "آخر")},
            ],
            "locations": locations,
            "document_categories": [
                {"id": "POI", "labels": _labels("Proof of identity", "Preuve d'identité", "إثبات الهوية")},
                {
                    "id": "POA",
                    "labels": _labels("Proof of address", "Justificatif de domicile", "إثبات العنوان"),
                },
                {"id": "POR", "labels": _labels("Proof of relationship", "Preuve de lien", "إثبات القرابة")},
            ],
            "document_types": [
                {
                    "id": "PASSPORT",
                    "category_id": "POI",
                    "labels": _labels("Passport", "Passeport", "جواز سفر"),
                },
                {
                    "id": "BIRTH_CERT",
                    "category_id": "POI",
                    "labels": _labels("Birth certificate", "Acte de naissance", "شهادة الميلاد"),
                },
                {
                    "id": "UTILITY_BILL",
                    "category_id": "POA",
                    "labels": _labels("Utility bill", "Facture", "فاتورة خدمات"),
                },
                {"id": "LEASE", "category_id": "POA", "labels": _labels("Lease", "Bail", "عقد إيجار")},
                {
                    "id": "FAMILY_BOOK",
                    "category_id": "POR",
                    "labels": _labels("Family book", "Livret de famille", "دفتر العائلة"),
                },
            ],
            # End-of-day rejections: the supervisor picks one (or "Other" with their own words).
            "reject_reasons": [
                {
                    "id": "PHOTO_MISMATCH",
                    "labels": _labels(
                        "Photo does not match the person",
                        "La photo ne correspond pas à la personne",
                        "الصورة لا تطابق الشخص",
                    ),
                },
                {
                    "id": "DOCUMENT_UNREADABLE",
                    "labels": _labels(
                        "Document unreadable or missing",
                        "Document illisible ou manquant",
                        "المستند غير مقروء أو مفقود",
                    ),
                },
                {
                    "id": "DEMOGRAPHIC_ERROR",
                    "labels": _labels(
                        "Error in name or date of birth",
                        "Erreur dans le nom ou la date de naissance",
                        "خطأ في الاسم أو تاريخ الميلاد",
                    ),
                },
                {
                    "id": "POOR_BIOMETRICS",
                    "labels": _labels(
                        "Poor biometric captures",
                        "Captures biométriques de mauvaise qualité",
                        "التقاطات بيومترية رديئة",
                    ),
                },
                {
                    "id": "EXCEPTION_UNJUSTIFIED",
                    "labels": _labels(
                        "Biometric exception not justified",
                        "Exception biométrique non justifiée",
                        "استثناء بيومتري غير مبرر",
                    ),
                },
            ],
            "config": [
                {"id": "packet.retention_days", "value": 30},
                {"id": "session.inactivity_minutes", "value": 5},  # the key the kiosk reads
                {"id": "login.max_failures", "value": 5},
            ],
            "holidays": [
                {"id": "2026-01-01", "date": "2026-01-01", "name": "New Year's Day"},
                {"id": "2026-05-01", "date": "2026-05-01", "name": "Labour Day"},
            ],
            "device_models": [
                {
                    "id": "SIM-FINGER",
                    "modality": "finger",
                    "make": "OpenReg",
                    "model": "Simulator",
                    "vendor_id": "0000",
                    "product_id": "0001",
                },
                {
                    "id": "SIM-IRIS",
                    "modality": "iris",
                    "make": "OpenReg",
                    "model": "Simulator",
                    "vendor_id": "0000",
                    "product_id": "0002",
                },
                {
                    "id": "SIM-FACE",
                    "modality": "face",
                    "make": "OpenReg",
                    "model": "Simulator",
                    "vendor_id": "0000",
                    "product_id": "0003",
                },
            ],
        },
    }


def check_forms(folder: Path | None = None) -> dict[str, str]:
    """Load id_schema.json and every UI spec of ui_spec.json as a kiosk would (shared.forms raises
    ``FormSpecError`` naming the broken part); every process (new, update, lost, correction) must have
    exactly one spec. Returns {flow: ui_spec id}."""
    folder = folder or Path(__file__).parent
    schemas = {
        row["id"]: load_id_schema(row)
        for row in json.loads((folder / "id_schema.json").read_text(encoding="utf-8"))["entities"][
            "id_schema"
        ]
    }
    flows: dict[str, str] = {}
    for row in json.loads((folder / "ui_spec.json").read_text(encoding="utf-8"))["entities"]["ui_spec"]:
        spec = load_ui_spec(row, schemas[row["spec"].get("schema_id", "default")])
        if spec.flow in flows:
            raise ValueError(f"ui_spec {row['id']!r}: a second spec for the {spec.flow} process")
        flows[spec.flow] = row["id"]
    if missing := [f for f in FLOWS if f not in flows]:
        raise ValueError(f"ui_spec.json has no spec for the process(es) {missing}")
    return flows


if __name__ == "__main__":
    print("forms:", ", ".join(f"{flow}={spec}" for flow, spec in check_forms().items()))
    out = Path(__file__).with_name("masterdata.json")
    out.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
