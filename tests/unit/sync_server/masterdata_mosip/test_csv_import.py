"""MOSIP's master-data CSVs (locations, genders, document categories and types) as OpenReg rows that pass
OpenReg's own row checks; what has no counterpart is reported, a file it cannot read is refused."""

import pytest

from sync_server.masterdata_mosip import ConversionReport, MosipInputError, convert
from sync_server.masterdata_mosip.csv_import import convert_csv_files
from sync_server.services.masterdata_rules import validate_rows
from tests.support.mosip import CSVS, csv_inputs


def test_mosip_csvs_become_openreg_rows():
    report = ConversionReport()
    entities = convert_csv_files(csv_inputs(), report)
    for entity, rows in entities.items():
        assert validate_rows("x.json", entity, rows) == [], entity
    places = {r["id"]: r for r in entities["locations"]}
    assert set(places) == {"RG1", "PV1", "CT1", "10101"}  # no country, no zone
    assert places["RG1"]["parent_id"] is None and places["RG1"]["labels"]["ara"] == "المنطقة الشمالية"
    assert places["10101"] == {
        "id": "10101",
        "level": "postal_code",
        "parent_id": "CT1",
        "labels": {"eng": "10101", "ara": "10101"},
        "active": True,
    }
    genders = {r["id"]: r for r in entities["genders"]}
    assert genders["FLE"]["labels"] == {"eng": "Female", "ara": "أنثى"} and genders["OTH"]["active"] is False
    types = {r["id"]: r["category_id"] for r in entities["document_types"]}
    assert types == {"CIN": "POI", "RNC": "POA", "DOC001_POI": "POI", "DOC001_POA": "POA"}
    paths = {(i.source, i.path) for i in report.items}
    assert ("location.csv", "hierarchy_level 4 (Zone)") in paths and ("doc_type.csv", "code") in paths


def test_applicant_types_are_folded_and_types_without_category_reported():
    report = ConversionReport()
    entities = convert_csv_files(
        [
            ("doc_type.csv", CSVS["doc_type.csv"].encode()),
            (
                "applicant_valid_document.csv",
                b"lang_code,apptyp_code,doccat_code,doctyp_code,is_active\neng,000,POI,CIN,TRUE\n"
                b"eng,001,POI,CIN,TRUE\neng,001,POA,RNC,FALSE\n",
            ),
        ],
        report,
    )
    assert [(r["id"], r["category_id"]) for r in entities["document_types"]] == [("CIN", "POI")]
    messages = " ".join(i.message for i in report.items)
    assert "applicant types are not kept" in messages and "no category" in messages and "RNC" in messages


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("location.xlsx", b"PK", "XLSX is not read"),
        ("centres.csv", b"a,b\n", "not a MOSIP master-data CSV"),
        ("gender.csv", b"code,name\nMLE,Male\n", "missing column\\(s\\) lang_code"),
        ("gender.csv", b"\xff\xfe", "not UTF-8"),
        ("gender.csv", b"lang_code,code,name\n" + b'eng,X,"unclosed\n' * 3, "not a readable CSV"),
    ],
)
def test_unreadable_files_are_refused_by_name(name, content, message):
    with pytest.raises(MosipInputError, match=message):
        convert_csv_files([(name, content)], ConversionReport())


def test_a_location_cycle_is_reported_not_followed():
    report = ConversionReport()
    text = (
        "lang_code,code,name,hierarchy_level,hierarchy_level_name,parent_loc_code\n"
        "eng,Z1,Zone A,4,Zone,Z2\neng,Z2,Zone B,4,Zone,Z1\neng,99999,99999,5,Postal Code,Z1\n"
    )
    rows = convert_csv_files([("location.csv", text.encode())], report)["locations"]
    assert rows[0]["parent_id"] is None and "cycle" in report.lines()[-1]


def test_csv_only_conversion_needs_no_schema():
    result = convert(schema=None, csv_files=csv_inputs())
    assert result.id_schema is None and set(result.documents()) == {"masterdata.json"}
    assert result.report.summary["masterdata"]["locations"] == 4
