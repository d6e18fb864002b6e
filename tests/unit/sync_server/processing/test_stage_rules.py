"""The processing stages' rules one at a time, each stage run on its own over a packet view (no sealing):
what an update, lost or correction packet must carry, the resident's status-page facts, the blobs a
packet stores, and the codes and words of each refusal (shown on the kiosk and in the console)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from shared.packet.meta import PacketMeta
from sync_server.backend import ResidentCheckKeys
from sync_server.idstore.data_key import DataKeyring
from sync_server.processing.packet_view import BiometricView, DocumentView, PacketView
from sync_server.processing.pipeline import PacketContext, Rejection
from sync_server.processing.registration_stages import packet_blobs
from sync_server.processing.stages import ActorsStage, ValidateStage
from sync_server.services.clock import use_clock
from tests.unit.sync_server.processing.test_stages import PERSON, Master

RID = "10001100010000120261120093000"
ADDRESS = {"region": "R1", "province": "P1", "city": "C1", "addressLine": "2 Avenue des Fleurs"}


def meta(**fields) -> PacketMeta:
    base = {"rid": RID, "center_id": "10001", "operator_id": "op1", "id_schema_id": "default"}
    return PacketMeta(**(base | {"id_schema_version": 1} | fields))


def capture(modality="finger", subtype="Left Thumb", exception=False, data=b"ISO") -> BiometricView:
    return BiometricView(modality, subtype, "ISO19794", 80, data, exception)


def view(demographics, *, biometrics=(), documents=(), **fields) -> PacketView:
    return PacketView(dict(demographics), list(documents), list(biometrics), [], meta(**fields))


def validate(packet: PacketView, residents=None) -> PacketContext:
    context = PacketContext(packet.meta.rid, {"packet": packet})
    ValidateStage(Master("key"), residents).run(context)
    return context


def refusal(packet: PacketView) -> tuple[str, str]:
    with pytest.raises(Rejection) as refused:
        validate(packet)
    return refused.value.code, refused.value.text


UPDATE = {"flow": "update", "uin": "5000000008", "update_groups": ["address"]}


def test_an_update_names_its_uin_and_a_correction_the_packet_it_corrects():
    assert refusal(view(ADDRESS, flow="update", update_groups=["address"])) == (
        "invalid_packet",
        "an update packet names no UIN",
    )
    assert refusal(view({}, flow="correction")) == (
        "invalid_packet",
        "a correction packet names no packet it corrects",
    )
    assert validate(view(ADDRESS, **UPDATE)).values["schema"] == "default@1"
    assert validate(view({}, flow="correction", correction_of=RID)).values["schema"] == "default@1"


def test_a_lost_request_needs_a_capture_that_is_not_an_exception():
    text = "a lost-UIN request needs at least one biometric capture"
    assert refusal(view({"fullName": "A B"}, flow="lost")) == ("missing_biometrics", text)
    excepted = view({"fullName": "A B"}, flow="lost", biometrics=[capture(exception=True)])
    assert refusal(excepted) == ("missing_biometrics", text)
    both = [capture(exception=True), capture("iris", "Left")]
    assert validate(view({"fullName": "A B"}, flow="lost", biometrics=both)).values["schema"] == "default@1"
    # other flows count their captures elsewhere: an update without any passes this stage
    assert validate(view(ADDRESS, **UPDATE)).values["resident"] == {}


def test_a_partial_packet_of_an_unknown_schema_or_with_unknown_fields_is_refused():
    assert refusal(view(ADDRESS, id_schema_version=7, **UPDATE)) == (
        "unknown_schema",
        "ID schema default version 7 is not known",
    )
    assert refusal(view(ADDRESS | {"zeta": 1, "alpha": 2}, **UPDATE)) == (
        "invalid_demographics",
        "not fields of the ID schema: alpha, zeta",
    )
    many = {f"field{i:03d}": i for i in range(40)}
    code, text = refusal(view(many, **UPDATE))
    listed = text.removeprefix("not fields of the ID schema: ")
    assert code == "invalid_demographics" and len(listed) == 200 and listed.startswith("field000, field001")


def test_the_errors_of_a_partial_packet_are_listed_by_field_in_english():
    code, text = refusal(view({"addressLine": "2 New St", "fullName": "A"}, **UPDATE))
    assert code == "invalid_demographics"
    parts = text.split("; ")
    assert [p.split(": ")[0] for p in parts] == sorted(p.split(": ")[0] for p in parts)
    assert any(p.startswith("city: ") for p in parts) and "required" in text.lower()
    # documents and captures are not the business of this stage for an update
    assert validate(view(ADDRESS, **UPDATE)).values["schema"] == "default@1"


def test_the_resident_facts_are_the_first_consent_language_and_a_keyed_hash_of_the_birth_date(tmp_path):
    residents = ResidentCheckKeys(DataKeyring(tmp_path / "data"))
    consent = {"template_id": "registration_consent", "languages": ["fra", "eng"], "sha256": "0" * 64}
    packet = view({"dateOfBirth": "1985-02-14"}, flow="correction", correction_of=RID, consent=consent)
    facts = validate(packet, residents).values["resident"]
    key_id, check = residents.make("1985-02-14")
    assert facts == {"resident_language": "fra", "resident_key_id": key_id, "resident_check": check}
    no_date = view({"fullName": "A B"}, flow="correction", correction_of=RID, consent=consent)
    assert validate(no_date, residents).values["resident"] == {"resident_language": "fra"}
    no_keys = view({"dateOfBirth": "1985-02-14"}, flow="correction", correction_of=RID)
    assert validate(no_keys).values["resident"] == {}
    # a date field that holds no date (a deployment's setting): no check, no failure
    named = view({"fullName": "A B"}, flow="correction", correction_of=RID)
    context = PacketContext(RID, {"packet": named})
    ValidateStage(Master("key"), residents, date_fields=("fullName",)).run(context)
    assert context.values["resident"] == {}


def test_a_new_packet_is_checked_against_the_whole_schema_and_records_it(tmp_path):
    documents = [DocumentView("proofOfIdentity", "DOC001", "poi.pdf", "application/pdf", b"%PDF")]
    captures = [capture(), capture("iris", "Left"), capture("face", "Face")]
    context = validate(view(PERSON, documents=documents, biometrics=captures))
    assert context.values["schema"] == "default@1" and context.values["resident"] == {}


def test_the_blobs_of_a_packet():
    documents = [
        DocumentView("proofOfIdentity", "DOC001", "poi.pdf", "application/pdf", b"%PDF"),
        DocumentView("proofOfAddress", "DOC002", "", "image/jpeg", b"JPG"),
    ]
    captures = [capture(data=b"thumb"), capture("iris", "Left", exception=True, data=b"")]
    packet = view({}, documents=documents, biometrics=captures)
    blobs = packet_blobs(packet)
    assert [(b.kind, b.name, b.content_type, b.data, b.attributes) for b in blobs] == [
        (
            "document",
            "proofOfIdentity:poi.pdf",
            "application/pdf",
            b"%PDF",
            {"type": "DOC001", "category": "proofOfIdentity"},
        ),
        (
            "document",
            "proofOfAddress:DOC002",
            "image/jpeg",
            b"JPG",
            {"type": "DOC002", "category": "proofOfAddress"},
        ),
        (
            "biometric",
            "finger:Left Thumb",
            "application/octet-stream",
            b"thumb",
            {"modality": "finger", "subtype": "Left Thumb", "format": "ISO19794", "quality": 80},
        ),
    ]
    assert [b.kind for b in packet_blobs(packet, biometrics=False)] == ["document", "document"]


NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def actors(packet: PacketView, master: Master | None = None) -> PacketContext:
    context = PacketContext(packet.meta.rid, {"packet": packet, "machine_id": "10001"})
    with use_clock(lambda: NOW):
        ActorsStage(master or Master("key")).run(context)
    return context


def actors_refusal(packet: PacketView, master: Master | None = None) -> tuple[str, str]:
    with pytest.raises(Rejection) as refused:
        actors(packet, master)
    return refused.value.code, refused.value.text


def test_the_capture_time_must_be_known_and_at_most_a_day_ahead():
    code, text = actors_refusal(view({}))
    assert code == "invalid_packet" and text.startswith("packet has no capture time: ")
    ahead = NOW + dt.timedelta(hours=24)
    context = actors(view({}, started_at=ahead.isoformat(), supervisor_id="sup1"))
    assert (context.values["center_id"], context.values["operator_id"]) == ("10001", "op1")
    later = ahead + dt.timedelta(seconds=1)
    assert actors_refusal(view({}, started_at=later.isoformat())) == (
        "capture_in_future",
        f"capture time {later.isoformat()} is in the future",
    )


STARTED = {"started_at": "2026-11-20T09:30:00+00:00"}


def test_the_machine_must_be_active_at_the_packet_center():
    master = Master("key")
    assert actors_refusal(view({}, **(STARTED | {"center_id": "10002"})), master) == (
        "inactive_machine",
        "machine 10001 was not active at center 10002",
    )
    master.rows[("machines", "10001")]["active"] = False
    assert actors_refusal(view({}, **STARTED), master)[0] == "inactive_machine"
    del master.rows[("machines", "10001")]
    assert actors_refusal(view({}, **STARTED), master)[0] == "inactive_machine"
    master.rows[("machines", "10001")] = {"id": "10001", "public_key": "key"}  # no center on record
    assert actors(view({}, **STARTED), master).values["center_id"] == "10001"


@pytest.mark.parametrize(
    ("fields", "exceptions", "expected"),
    [
        (
            {"operator_id": "gone"},
            [],
            ("inactive_operator", "operator gone was not an active operator at center 10001 then"),
        ),
        (
            {"operator_id": None},
            [],
            ("inactive_operator", "operator (none) was not an active operator at center 10001 then"),
        ),
        (
            {"operator_id": "sup1"},
            [],
            ("inactive_operator", "operator sup1 was not an active operator at center 10001 then"),
        ),
        (
            {"operator_id": "far"},
            [],
            ("inactive_operator", "operator far was not an active operator at center 10001 then"),
        ),
        (
            {"supervisor_id": "op1"},
            [],
            ("inactive_supervisor", "supervisor op1 was not an active supervisor at center 10001 then"),
        ),
        (
            {},
            [{"modality": "finger"}],
            ("inactive_supervisor", "supervisor (none) was not an active supervisor at center 10001 then"),
        ),
        (
            {"supervisor_id": "roleless"},
            [],
            ("inactive_supervisor", "supervisor roleless was not an active supervisor at center 10001 then"),
        ),
    ],
)
def test_operator_and_supervisor_must_be_active_in_their_role_at_the_center(fields, exceptions, expected):
    master = Master("key")
    master.rows[("users", "far")] = {"id": "far", "roles": ["operator"], "center_id": "10002"}
    master.rows[("users", "roleless")] = {"id": "roleless", "roles": None, "center_id": "10001"}
    packet = dataclasses.replace(view({}, **(STARTED | fields)), exceptions=exceptions)
    assert actors_refusal(packet, master) == expected


def test_a_user_of_no_center_and_a_supervisor_only_when_needed_pass():
    master = Master("key")
    master.rows[("users", "roving")] = {"id": "roving", "roles": ["operator"], "active": True}
    assert actors(view({}, **(STARTED | {"operator_id": "roving"})), master).values["operator_id"] == "roving"
    assert actors(view({}, **STARTED), master).values["center_id"] == "10001"  # no supervisor, no exception
