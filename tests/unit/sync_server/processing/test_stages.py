"""The real stages and worker over real SQLite, real sealed packets (shared.packet), the demo ID
schema and an in-memory master data history (the server's own history is wired in by the server).
"""

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from shared.packet import (
    BiometricRecord,
    Document,
    PacketContents,
    generate_identity_file,
    load_identities,
    seal_packet,
)
from shared.packet.meta import MAX_META_BYTES
from shared.rid import format_rid
from shared.signing import generate_private_key, public_key_b64
from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.idstore.tables import blobs
from sync_server.processing import adjudication, queue
from sync_server.processing.dedupe import DedupeConfig
from sync_server.processing.flows import build_stages
from sync_server.processing.pipeline import Pipeline, RetryPolicy
from sync_server.processing.stages import make_packet_opener
from sync_server.processing.worker import ProcessingWorker, WorkerPool
from tests.support.packets import seal_unchecked

SCHEMA = json.loads((Path(__file__).parents[4] / "sync_server/demo_data/id_schema.json").read_text())[
    "entities"
]["id_schema"][0]["schema"]
CAPTURED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


class Master:
    def __init__(self, machine_key):
        self.rows = {
            ("machines", "10001"): {
                "id": "10001",
                "center_id": "10001",
                "public_key": machine_key,
                "active": True,
            },
            ("users", "op1"): {"id": "op1", "roles": ["operator"], "center_id": "10001", "active": True},
            ("users", "sup1"): {"id": "sup1", "roles": ["supervisor"], "center_id": "10001", "active": True},
            ("users", "gone"): {"id": "gone", "roles": ["operator"], "center_id": "10001", "active": False},
        }

    def entity_at(self, entity, entity_id, at):
        return self.rows.get((entity, entity_id))

    def id_schema(self, schema_id, version):
        return SCHEMA if (schema_id, version) == ("default", 1) else None


class Packets:
    def __init__(self, root):
        self.root, self.registered_hashes = root, {}

    def blob_path(self, rid):
        return self.root / f"{rid}.age"

    def registered(self, rid):
        return self.registered_hashes[rid]


PERSON = {
    "fullName": "Amina Diallo",
    "dateOfBirth": "1985-02-14",
    "gender": "F",
    "region": "R1",
    "province": "P1",
    "city": "C1",
    "addressLine": "1 Rue de la Paix",
}


@pytest.fixture
def world(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    create_backend_tables(engine)
    key = generate_private_key()
    recipient = generate_identity_file(tmp_path / "server-identity.txt")
    opener = make_packet_opener(load_identities(tmp_path / "server-identity.txt"))
    master, packets = Master(public_key_b64(key)), Packets(tmp_path)
    store = IdStore(engine=engine, keyring=DataKeyring(tmp_path / "data"))
    sequence = iter(range(1, 1000))

    def make(
        *,
        person=None,
        documents=True,
        biometrics=None,
        exceptions=(),
        operator="op1",
        sign_with=None,
        machine=10001,
        supervisor="sup1",
        captured=CAPTURED,
        meta_update=None,
    ):
        rid = format_rid(center_id=10001, machine_id=machine, sequence=next(sequence), created_at=CAPTURED)
        bios = (
            biometrics
            if biometrics is not None
            else [["finger", "Left Thumb", False], ["iris", "Left", False], ["face", "Face", False]]
        )
        contents = PacketContents(
            demographics=person or PERSON,
            documents=[
                Document("DOC001", "application/pdf", b"%PDF-1.4 passport", "proofOfIdentity", "poi.pdf")
            ]
            if documents
            else [],
            biometrics=[
                BiometricRecord(
                    m, s, "ISO19794", 80, {"serial": "SIM1"}, b"" if e else b"ISO" + s.encode(), e
                )
                for m, s, e in bios
            ],
            exceptions=list(exceptions),
            meta={
                "rid": rid,
                "center_id": "10001",
                "machine_id": f"{machine:05d}",
                "operator_id": operator,
                "supervisor_id": supervisor,
                "started_at": captured.isoformat(),
                "id_schema_id": "default",
                "id_schema_version": 1,
            }
            | (meta_update or {}),
        )
        seal = seal_unchecked if meta_update else seal_packet  # meta the builder would refuse
        sealed = seal(contents, machine_key=sign_with or key, recipients=[recipient], out_dir=packets.root)
        packets.registered_hashes[rid] = (sealed.sha256, sealed.size)
        queue.enqueue(engine, rid=rid)
        return rid

    def worker(hooks=None, policy=RetryPolicy(base_seconds=0), dedupe=None):
        stages = build_stages(
            packets=packets,
            master=master,
            opener=opener,
            store=store,
            dedupe=dedupe or DedupeConfig(),
            engine=engine,
        )
        return ProcessingWorker(
            engine=engine,
            pipeline_factory=lambda: Pipeline(stages, hooks=hooks or {}),
            policy=policy,
            poll_seconds=0.01,
        )

    def drain(w):
        while w.run_once():
            pass

    class World:
        pass

    world = World()
    world.__dict__.update(
        engine=engine, make=make, worker=worker, drain=drain, store=store, master=master, packets=packets
    )
    return world


def status(world, rid):
    return queue.job_status(world.engine, rid)


def test_good_packet_is_processed_with_a_uin_and_stored_encrypted(world):
    rid = world.make()
    world.drain(world.worker())
    state = status(world, rid)
    assert state["status"] == "processed", state["reason_text"]
    assert state["stage"] == "processed" and len(state["uin"]) == 10
    assert state["center_id"] == "10001" and state["operator_id"] == "op1"
    identity = world.store.get_by_rid(rid, actor="admin", purpose="test")
    assert identity.uin == state["uin"] and identity.demographics["fullName"] == "Amina Diallo"
    assert {b.kind for b in identity.blobs} == {"document", "biometric"} and len(identity.blobs) == 4
    # Each blob's recorded SHA-256 is its plaintext's (taken from the reader, not hashed again).
    with world.engine.connect() as conn:
        recorded = dict(
            conn.execute(select(blobs.c.name, blobs.c.sha256).where(blobs.c.uin == identity.uin)).all()
        )
    assert recorded == {b.name: hashlib.sha256(b.data).hexdigest() for b in identity.blobs}


@pytest.mark.parametrize(
    ("case", "code", "text"),
    [
        ("tampered_file", "tampered", "the encrypted payload is truncated or corrupted (decryption error)"),
        (
            "tampered_after_register",
            "tampered",
            "the uploaded file does not match the registered hash and size",
        ),
        (
            "bad_signature",
            "tampered",
            "the manifest is not signed by this machine's key: signature does not match",
        ),
        ("unknown_machine", "unknown_machine", "machine 10002 is not enrolled on this server"),
        ("missing_document", "missing_document", "proofOfIdentity is required"),
        ("claimed_document_absent", "missing_document", "proofOfIdentity is required"),
        ("missing_modality", "missing_biometrics", "no face, iris capture or exception"),
        ("bad_demographics", "invalid_demographics", "dateOfBirth: dateOfBirth must be on or before "),
        (
            "inactive_operator",
            "inactive_operator",
            "operator gone was not an active operator at center 10001 then",
        ),
        (
            "exception_unapproved",
            "exception_not_approved",
            "biometric/document exceptions need a supervisor approval",
        ),
        ("captured_in_2099", "capture_in_future", "capture time 2099-01-01T00:00:00+00:00 is in the future"),
    ],
)
def test_invalid_packets_are_rejected_with_the_right_reason(world, case, code, text):
    kwargs = {
        "bad_signature": {"sign_with": generate_private_key()},
        "unknown_machine": {"machine": 10002},
        "missing_document": {"documents": False},
        "claimed_document_absent": {
            "documents": False,
            "person": PERSON | {"proofOfIdentity": {"type": "DOC001", "name": "poi.pdf"}},
        },
        "missing_modality": {"biometrics": [["finger", "Left Thumb", False]]},
        "bad_demographics": {"person": PERSON | {"dateOfBirth": "2999-01-01"}},
        "inactive_operator": {"operator": "gone"},
        "captured_in_2099": {"captured": dt.datetime(2099, 1, 1, tzinfo=dt.UTC)},
        "exception_unapproved": {
            "biometrics": [["finger", "Left Thumb", True], ["iris", "Left", False], ["face", "Face", False]],
            "supervisor": None,
        },
    }.get(case, {})
    rid = world.make(**kwargs)
    if case == "tampered_after_register":
        path = world.packets.blob_path(rid)
        path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    if case == "tampered_file":
        path = world.packets.blob_path(rid)
        data = bytearray(path.read_bytes())
        data[-100] ^= 0x01  # one bit flipped in the encrypted payload
        path.write_bytes(bytes(data))
        world.packets.registered_hashes[rid] = (
            hashlib.sha256(data).hexdigest(),
            len(data),
        )  # hash registered after
    world.drain(world.worker())
    state = status(world, rid)
    assert (state["status"], state["reason_code"]) == ("rejected", code), state["reason_text"]
    assert state["reason_text"].startswith(text) and state["uin"] is None


@pytest.mark.parametrize(
    "meta_update",
    [
        {"id_schema_version": "1"},  # a number as text
        {"supervisor_id": True},
        {"operator_id": "op1" * 100},  # over the id length bound (200)
        {"approval_reasons": ["always"] * 100},  # over the list bound
        {"started_at": "yesterday"},
        {"center_id": 10001},  # a number where the kiosk writes text
        {"from_a_newer_kiosk": "x" * MAX_META_BYTES},  # an unknown key is fine, but not this big
    ],
)
def test_bad_meta_is_rejected_as_an_invalid_packet(world, meta_update):
    rid = world.make(meta_update=meta_update)
    world.drain(world.worker())
    state = status(world, rid)
    assert (state["status"], state["reason_code"]) == ("rejected", "invalid_packet"), state["reason_text"]
    assert "meta" in state["reason_text"]


def test_meta_keys_from_a_newer_kiosk_are_ignored(world):
    rid = world.make(meta_update={"from_a_newer_kiosk": {"anything": [1, 2]}})
    world.drain(world.worker())
    assert status(world, rid)["status"] == "processed"


def test_an_exact_demographic_match_waits_for_an_adjudicator_then_is_rejected_naming_the_first_uin(world):
    first = world.make()
    second = world.make(person=PERSON | {"fullName": "AMINA  DIALLO"})
    world.drain(world.worker())
    uin = status(world, first)["uin"]
    held = status(world, second)
    assert (held["status"], held["reason_code"], held["stage"]) == ("held", "adjudication", "dedupe")
    case = adjudication.pending(world.engine)[0][0]
    assert case["kind"] == "duplicate" and case["candidates"][0]["uin"] == uin
    assert case["candidates"][0]["exact"] is True
    adjudication.decide(world.engine, rid=second, decision="same", uin=uin, actor="adj1", reason="same face")
    world.drain(world.worker())
    assert status(world, second)["reason_code"] == "duplicate"
    assert status(world, second)["reason_text"] == f"duplicate of UIN {uin} (adjudicated)"


def test_namesakes_an_adjudicator_tells_apart_each_get_a_uin(world):
    first = world.make()
    second = world.make()
    world.drain(world.worker())
    adjudication.decide(world.engine, rid=second, decision="different", actor="adj1", reason="other mother")
    world.drain(world.worker())
    assert status(world, first)["uin"] and status(world, second)["uin"]
    assert status(world, first)["uin"] != status(world, second)["uin"]


def test_a_typo_in_the_name_and_swapped_day_and_month_still_find_the_candidate(world):
    world.make(person=PERSON | {"dateOfBirth": "1985-02-11"})
    second = world.make(person=PERSON | {"fullName": "Amina Dialo", "dateOfBirth": _swapped("1985-02-11")})
    world.drain(world.worker())
    assert status(world, second)["reason_code"] == "adjudication"
    scores = adjudication.pending(world.engine)[0][0]["candidates"][0]["scores"]
    assert scores["date"] == 90.0 and 85 <= scores["total"] < 100


def test_with_auto_duplicate_an_exact_match_is_rejected_without_a_person(world):
    first = world.make()
    second = world.make()
    world.drain(world.worker(dedupe=DedupeConfig(demographic_auto_duplicate=True)))
    rejected = status(world, second)
    assert (rejected["reason_code"], rejected["reason_text"]) == (
        "duplicate",
        f"duplicate of UIN {status(world, first)['uin']}",
    )


def test_a_decision_that_does_not_fit_the_case_changes_nothing(world):
    world.make()
    second = world.make()
    world.drain(world.worker())
    for kwargs, message in [
        ({"decision": "approve"}, "not a decision"),
        ({"decision": "same", "uin": "123"}, "candidates"),
        ({"decision": "different", "reason": " "}, "reason"),
    ]:
        with pytest.raises(adjudication.AdjudicationError, match=message):
            adjudication.decide(world.engine, rid=second, actor="adj1", **({"reason": "x"} | kwargs))
    assert status(world, second)["status"] == "held"


def _swapped(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{year}-{day}-{month}"


def test_a_failing_hook_is_retried_then_succeeds(world):
    class LegacyLookup:
        name = "legacy-id-lookup"
        calls = 0

        def __call__(self, *, stage, context):
            LegacyLookup.calls += 1
            if LegacyLookup.calls == 1:
                raise TimeoutError("legacy system timed out")

    rid = world.make()
    world.drain(world.worker(hooks={"validate": [LegacyLookup()]}))
    state = status(world, rid)
    assert state["status"] == "processed" and state["attempts"] == 2 and LegacyLookup.calls == 2


def test_a_reclaimed_packet_gets_the_same_uin_not_a_second_identity(world):
    rid = world.make()
    w = world.worker()
    # First worker "dies" after the ID store write but before recording the outcome.
    claim = queue.claim_next(world.engine, worker_id="dead", lease=dt.timedelta(seconds=-1))
    from sync_server.processing.pipeline import PacketContext

    context = PacketContext(claim.rid)
    w.pipeline.run(context)
    world.drain(w)
    assert status(world, rid)["status"] == "processed" and status(world, rid)["uin"] == context.values["uin"]


def test_worker_pool_threads_drain_the_queue(world):
    names = ["Amina Diallo", "Kofi Mensah", "Leila Haddad", "Tariq Nasser", "Ines Moreau", "Yusuf Okafor"]
    rids = [world.make(person=PERSON | {"fullName": name}) for name in names]
    pool = WorkerPool(make_worker=lambda _i: world.worker(), count=1)
    pool.start()
    try:
        deadline = dt.datetime.now() + dt.timedelta(seconds=20)
        while dt.datetime.now() < deadline and any(status(world, r)["status"] != "processed" for r in rids):
            pool.stop.wait(0.05)
    finally:
        pool.shutdown()
    uins = [status(world, r)["uin"] for r in rids]
    assert all(uins) and len(set(uins)) == 6


def test_consent_is_recorded_and_packets_without_it_from_older_kiosks_still_pass(world):
    """Issue 14: the kiosk puts I_AGREE in id.json and the text's digest in meta; neither is required."""
    consent = {"template_id": "registration_consent", "languages": ["eng", "ara"], "sha256": "0" * 64}
    agreed = world.make(person=PERSON | {"consent": "I_AGREE"}, meta_update={"consent": consent})
    older = world.make(person=PERSON | {"fullName": "Binta Sow"})
    refused = world.make(person=PERSON | {"fullName": "Cy Diaz", "consent": "NO"})
    world.drain(world.worker())
    assert status(world, agreed)["status"] == "processed", status(world, agreed)["reason_text"]
    assert status(world, older)["status"] == "processed", status(world, older)["reason_text"]
    assert status(world, refused)["reason_code"] == "invalid_demographics"


@pytest.mark.parametrize(
    ("person", "groups", "code", "text"),
    [
        ({"addressLine": "2 New St"}, ["address"], "invalid_demographics", "city"),  # half an address
        ({"addressLine": "2 New St"}, ["planet"], "invalid_packet", "unknown update group"),
        ({}, [], "invalid_packet", "at least one group"),
    ],
)
def test_an_update_gives_each_changed_group_whole_and_names_known_groups(world, person, groups, code, text):
    rid = world.make(
        person=person, meta_update={"flow": "update", "uin": "5000000008", "update_groups": groups}
    )
    world.drain(world.worker())
    state = status(world, rid)
    assert (state["status"], state["reason_code"]) == ("rejected", code), state["reason_text"]
    assert text in state["reason_text"]


def test_a_lost_request_without_a_capture_is_refused(world):
    rid = world.make(person={"fullName": "Amina Diallo"}, biometrics=[], meta_update={"flow": "lost"})
    world.drain(world.worker())
    assert status(world, rid)["reason_code"] == "missing_biometrics"
