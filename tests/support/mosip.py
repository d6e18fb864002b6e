"""MOSIP's published identity schema and UI-spec processes (../shared/mosip-masterdata beside the
checkout, never in the repo) and small MOSIP-style master-data CSVs the tests write themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

MOSIP_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "mosip-masterdata"
SCHEMA_FILE = "mosip_identity_schema.json"
PROCESS_FILES = {
    "new": "mosip_ui_spec_newProcess.json",
    "update": "mosip_ui_spec_updateProcess.json",
    "lost": "mosip_ui_spec_lostProcess.json",
}
# An adult who completes the converted new-registration form (places of CSVS below).
ADULT = {
    "consent": "I_AGREE",
    "preferredLang": "eng",
    "fullName": "Amina Diallo",
    "dateOfBirth": "1991-04-12",
    "gender": "FLE",
    "addressLine1": "12 Palm St",
    "addressLine2": "Block C",
    "addressLine3": "Flat 4",
    "region": "RG1",
    "province": "PV1",
    "city": "CT1",
    "postalCode": "10101",
    "phone": "+2125550100",
    "email": "amina@example.org",
}
# MOSIP's CSV layout (mosip-data mosip_master_csv/csv/*.csv), with made-up places and documents.
CSVS = {
    "location.csv": "lang_code,code,name,hierarchy_level,hierarchy_level_name,parent_loc_code,is_active\n"
    "eng,CTY,Testland,0,Country,,TRUE\n"
    "eng,RG1,North Region,1,Region,CTY,TRUE\nara,RG1,المنطقة الشمالية,1,المناطق,CTY,TRUE\n"
    "eng,PV1,Hill Province,2,Province,RG1,TRUE\nara,PV1,مقاطعة التلال,2,المحافظة,RG1,TRUE\n"
    "eng,CT1,Hightown,3,City,PV1,TRUE\nara,CT1,المدينة العليا,3,مدينة,PV1,TRUE\n"
    "eng,ZN1,Old Quarter,4,Zone,CT1,TRUE\n"
    "eng,10101,10101,5,Postal Code,ZN1,TRUE\nara,10101,10101,5,رمز بريدي,ZN1,TRUE\n",
    "gender.csv": "lang_code,code,name,is_active\neng,MLE,Male,TRUE\nara,MLE,ذكر,TRUE\n"
    "eng,FLE,Female,TRUE\nara,FLE,أنثى,TRUE\neng,OTH,Others,FALSE\n",
    "doc_category.csv": "lang_code,code,name,descr,is_active\neng,POI,Proof of Identity,x,TRUE\n"
    "eng,POA,Proof of Address,x,TRUE\neng,POR,Proof of Relationship,x,TRUE\n"
    "eng,POB,Proof of Birth,x,TRUE\neng,POE,Proof of Exception,x,TRUE\n",
    "doc_type.csv": "lang_code,code,name,descr,is_active\neng,CIN,Reference Identity Card,x,TRUE\n"
    "ara,CIN,بطاقة الهوية,x,TRUE\neng,RNC,Rental contract,x,TRUE\neng,DOC001,Passport,x,TRUE\n",
    "valid_document.csv": "doctyp_code,doccat_code,lang_code,is_active\nCIN,POI,eng,TRUE\n"
    "RNC,POA,eng,TRUE\nDOC001,POI,eng,TRUE\nDOC001,POA,eng,TRUE\n",
}


def mosip_dir() -> Path:
    """The folder of MOSIP's files; the test is skipped, saying why, where it is absent."""
    if not (MOSIP_DIR / SCHEMA_FILE).is_file():
        pytest.skip(f"MOSIP's published files are not in {MOSIP_DIR} (a checkout without ../shared)")
    return MOSIP_DIR


def mosip_inputs() -> tuple[tuple[str, bytes], list[tuple[str, bytes]]]:
    """(schema, [processes]) as (file name, bytes), for ``sync_server.masterdata_mosip.convert``."""
    folder = mosip_dir()
    schema = (SCHEMA_FILE, (folder / SCHEMA_FILE).read_bytes())
    return schema, [(name, (folder / name).read_bytes()) for name in PROCESS_FILES.values()]


def write_csvs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in CSVS.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


def csv_inputs() -> list[tuple[str, bytes]]:
    return [(name, text.encode()) for name, text in CSVS.items()]
