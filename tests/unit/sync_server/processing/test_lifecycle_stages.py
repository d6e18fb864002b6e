"""The update, lost and correction stages (``lifecycle_stages``) over the real worker, queue, ID store
and sealed packets of test_stages' world; the ABIS thresholds with a scripted ABIS answer (the port is a
separate process in production; here its answer is the input under test)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from shared.packet import load_identities
from shared.packet.meta import PacketMeta
from sync_server.processing import adjudication, queue
from sync_server.processing.dedupe import DedupeConfig
from sync_server.processing.lifecycle_stages import (
    CorrectionsStage,
    CorrectionStage,
    LostStage,
    UpdateStage,
    join,
)
from sync_server.processing.packet_view import BiometricView, DocumentView, PacketView
from sync_server.processing.pipeline import Held, PacketContext, Rejection
from sync_server.processing.stages import make_packet_opener
from sync_server.processing.tables import corrections
from sync_server.services.clock import utcnow
from tests.unit.sync_server.processing import test_stages
from tests.unit.sync_server.processing.test_stages import PERSON, status

world = test_stages.world  # the same fixture: a queue, ID store, master data and sealed packets

ADDRESS = {"region": "R1", "province": "P1", "city": "C1", "addressLine": "2 Avenue des Fleurs"}


def registered(world) -> tuple[str, str]:
    rid = world.make()
    world.drain(world.worker())
    uin = status(world, rid)["uin"]
    assert uin
    return rid, uin


def update(world, uin: str, person=ADDRESS, groups=("address",), **kwargs) -> str:
    meta = {"flow": "update", "uin": uin, "update_groups": list(groups)}
    return world.make(person=person, meta_update=meta, **kwargs)


def test_an_update_without_an_abis_waits_for_an_adjudicator_then_becomes_the_next_version(world):
    first, uin = registered(world)
    rid = update(world, uin)
    world.drain(world.worker())
    held = status(world, rid)
    assert (held["status"], held["reason_code"], held["stage"]) == ("held", "adjudication", "update")
    assert held["reason_text"] == "the update waits for an adjudicator (no biometric match could be made)"
    case = adjudication.pending(world.engine)[0][0]
    assert case["kind"] == "update"
    assert case["candidates"] == [{"uin": uin, "rid": first, "scores": {}, "override_by": "sup1"}]
    adjudication.decide(world.engine, rid=rid, decision="approve", actor="adj1", reason="face matches")
    world.drain(world.worker())
    assert (status(world, rid)["status"], status(world, rid)["uin"]) == ("processed", uin)
    current = world.store.current(uin)
    assert current.version == 2 and current.demographics["addressLine"] == "2 Avenue des Fleurs"
    assert current.demographics["fullName"] == "Amina Diallo"
    history = world.store.get_by_rid(rid, actor="admin", purpose="test").history
    assert [(v.version, v.rid, v.flow) for v in history] == [(1, first, "new"), (2, rid, "update")]
    assert history[1].changes == {"addressLine": (PERSON["addressLine"], "2 Avenue des Fleurs")}
    # without "biometrics" among the groups, the captures only authenticated: the stored ones stay
    stored = world.store.get_by_rid(first, actor="admin", purpose="test")
    assert {b.name: b.data for b in stored.blobs if b.kind == "biometric"}[
        "finger:Left Thumb"
    ] == b"ISOLeft Thumb"


def test_an_update_of_the_biometrics_group_replaces_the_stored_captures(world):
    first, uin = registered(world)
    captures = [["finger", "Left Thumb", False], ["iris", "Left", False], ["face", "Face", False]]
    rid = update(world, uin, person={}, groups=("biometrics",), biometrics=captures)
    world.drain(world.worker())
    adjudication.decide(world.engine, rid=rid, decision="approve", actor="adj1", reason="face matches")
    world.drain(world.worker())
    assert status(world, rid)["status"] == "processed", status(world, rid)["reason_text"]
    stored = world.store.get_by_rid(first, actor="admin", purpose="test")
    kinds = sorted((b.kind, b.name) for b in stored.blobs)
    assert ("biometric", "finger:Left Thumb") in kinds and world.store.current(uin).version == 2


def test_a_refused_update_and_an_unknown_uin_are_rejected(world):
    _first, uin = registered(world)
    rid = update(world, uin)
    world.drain(world.worker())
    adjudication.decide(world.engine, rid=rid, decision="refuse", actor="adj1", reason="another face")
    unknown = update(world, "5000000008")
    world.drain(world.worker())
    assert (status(world, rid)["reason_code"], status(world, rid)["reason_text"]) == (
        "authentication_failed",
        "the adjudicator refused the update: another face",
    )
    assert (status(world, unknown)["reason_code"], status(world, unknown)["reason_text"]) == (
        "unknown_uin",
        "no identity with UIN 5000000008",
    )
    assert world.store.current(uin).version == 1


def test_an_update_of_a_deactivated_identity_is_rejected(world):
    _first, uin = registered(world)
    world.store.set_status(uin, status="deactivated", reason="deceased", actor="admin")
    rid = update(world, uin)
    world.drain(world.worker())
    assert (status(world, rid)["reason_code"], status(world, rid)["reason_text"]) == (
        "uin_not_active",
        f"UIN {uin} is deactivated",
    )


def lost(world, person) -> str:
    return world.make(person=person, meta_update={"flow": "lost"})


def test_a_lost_request_matching_one_identity_waits_for_an_adjudicator_who_finds_it(world):
    first, uin = registered(world)
    rid = lost(world, {"fullName": "Amina Diallo", "dateOfBirth": PERSON["dateOfBirth"]})
    world.drain(world.worker())
    held = status(world, rid)
    assert (held["reason_code"], held["stage"]) == ("adjudication", "lost")
    assert held["reason_text"] == "1 possible identity(ies): an adjudicator decides"
    case = adjudication.pending(world.engine)[0][0]
    assert case["kind"] == "lost" and [(c["uin"], c["rid"]) for c in case["candidates"]] == [(uin, first)]
    assert case["candidates"][0]["scores"]["total"] >= 80
    adjudication.decide(world.engine, rid=rid, decision="found", uin=uin, actor="adj1", reason="prints")
    world.drain(world.worker())
    assert (status(world, rid)["status"], status(world, rid)["uin"]) == ("processed", uin)


def test_a_lost_request_not_found_by_the_adjudicator_or_matching_nobody_is_rejected(world):
    registered(world)
    asked = lost(world, {"fullName": "Amina Diallo", "dateOfBirth": PERSON["dateOfBirth"]})
    stranger = lost(world, {"fullName": "Zed Quorum", "dateOfBirth": "1950-07-07"})
    no_date = lost(world, {"fullName": "Amina Diallo"})  # nothing to block on, no ABIS: nobody
    world.drain(world.worker())
    adjudication.decide(world.engine, rid=asked, decision="not_found", actor="adj1", reason="other person")
    world.drain(world.worker())
    for rid in (asked, stranger, no_date):
        state = status(world, rid)
        assert (state["status"], state["reason_code"]) == ("rejected", "not_found"), state["reason_text"]
        assert state["reason_text"] == "no identity matches this person" and state["uin"] is None


def held_for_more_information(world) -> str:
    registered(world)
    second = world.make(person=PERSON | {"fullName": "Amina Dialo"})
    world.drain(world.worker())
    assert status(world, second)["reason_code"] == "adjudication"
    with world.engine.begin() as conn:
        assert queue.hold(conn, rid=second, reason_code="more_information", reason_text="a birth certificate")
    return second


def test_a_correction_resumes_the_held_packet_which_then_carries_the_answer(world):
    second = held_for_more_information(world)
    answer = world.make(
        person={"fullName": "Amina Diallo-Sow"},
        meta_update={"flow": "correction", "correction_of": second},
        biometrics=[["face", "Face", False]],
    )
    world.drain(world.worker())
    assert status(world, answer)["status"] == "processed", status(world, answer)["reason_text"]
    assert status(world, second)["reason_code"] == "adjudication"  # resumed, back with the adjudicator
    with world.engine.connect() as conn:
        pairs = conn.execute(select(corrections.c.held_rid, corrections.c.answer_rid)).all()
    assert [tuple(p) for p in pairs] == [(second, answer)]
    adjudication.decide(world.engine, rid=second, decision="different", actor="adj1", reason="other mother")
    world.drain(world.worker())
    assert status(world, second)["status"] == "processed"
    stored = world.store.get_by_rid(second, actor="admin", purpose="test")
    assert stored.demographics["fullName"] == "Amina Diallo-Sow" and stored.demographics["city"] == "C1"


def test_a_correction_for_a_packet_not_waiting_for_one_is_rejected(world):
    first, _uin = registered(world)
    answer = world.make(person={}, meta_update={"flow": "correction", "correction_of": first})
    world.drain(world.worker())
    state = status(world, answer)
    assert (state["reason_code"], state["reason_text"]) == (
        "correction_not_expected",
        f"packet {first} is not waiting for more information",
    )


def meta(rid: str, **fields) -> PacketMeta:
    return PacketMeta(rid=rid, center_id="10001", operator_id="op1", supervisor_id="sup1", **fields)


def capture(modality="finger", subtype="Left Thumb", data=b"ISO", exception=False) -> BiometricView:
    return BiometricView(modality, subtype, "ISO19794", 80, data, exception)


def test_a_correction_recorded_by_an_earlier_attempt_is_not_recorded_again(world):
    second = held_for_more_information(world)
    answer_rid = "1000110001" + "9" * 5 + "20261120093000"
    view = PacketView({}, [], [], [], meta(answer_rid, flow="correction", correction_of=second))
    stage = CorrectionStage(world.engine)
    context = PacketContext(answer_rid, {"packet": view})
    stage.run(context)
    assert context.values["corrects"] == second
    again = PacketContext(answer_rid, {"packet": view})
    stage.run(again)  # the held packet was resumed meanwhile: still no rejection
    assert "corrects" not in again.values


def test_a_correction_whose_file_changed_since_registration_fails_the_join(world, tmp_path):
    second = held_for_more_information(world)
    answer = world.make(person={}, meta_update={"flow": "correction", "correction_of": second})
    with world.engine.begin() as conn:
        conn.execute(insert(corrections).values(held_rid=second, answer_rid=answer, created_at=utcnow()))
    opener = make_packet_opener(load_identities(tmp_path / "server-identity.txt"))
    stage = CorrectionsStage(world.packets, world.master, opener, world.engine)
    original = PacketView({"fullName": "Amina Dialo"}, [], [], [], meta(second))
    context = PacketContext(second, {"packet": original})
    stage.run(context)
    assert context.values["corrected_by"] == [answer] and context.values["packet"].meta.rid == second
    path = world.packets.blob_path(answer)
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(RuntimeError, match="does not match its registered hash"):
        stage.run(PacketContext(second, {"packet": original}))


def test_join_takes_the_answer_values_documents_by_category_and_captures_by_subtype():
    doc = DocumentView("proofOfIdentity", "DOC001", "old.pdf", "application/pdf", b"old")
    other = DocumentView("proofOfAddress", "DOC002", "bill.pdf", "application/pdf", b"bill")
    new_doc = DocumentView("proofOfIdentity", "DOC001", "new.pdf", "application/pdf", b"new")
    thumb, iris = capture(data=b"old thumb"), capture("iris", "Left", b"iris")
    right = capture(subtype="Right Thumb", data=b"right")
    packet = PacketView({"fullName": "A", "city": "C1"}, [doc, other], [thumb, iris], [], meta("1" * 29))
    answer = PacketView({"fullName": "B"}, [new_doc], [capture(data=b"new thumb"), right], [], meta("2" * 29))
    joined = join(packet, answer)
    assert joined.demographics == {"fullName": "B", "city": "C1"} and joined.meta.rid == "1" * 29
    assert [d.name for d in joined.documents] == ["bill.pdf", "new.pdf"]
    assert [(b.modality, b.subtype, b.data) for b in joined.biometrics] == [
        ("iris", "Left", b"iris"),
        ("finger", "Left Thumb", b"new thumb"),
        ("finger", "Right Thumb", b"right"),
    ]
    assert packet.demographics == {"fullName": "A", "city": "C1"}  # the original is left as it was


class ScriptedAbis:
    """The ABIS's answer for a test: fixed scores per UIN; records what it was asked."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores, self.asked = scores, []

    def identify(self, *, rid, records, gallery):
        self.asked.append((rid, [(r.modality, r.subtype) for r in records], gallery))
        return dict(self.scores)

    def insert(self, *, uin, rid, records):  # not used by these stages
        raise AssertionError("no insert expected")


def run_update(world, uin: str, abis, biometrics=None) -> PacketContext:
    rid = "1000110001" + "8" * 5 + "20261120093000"
    records = biometrics if biometrics is not None else [capture(), capture("iris", "Left", exception=True)]
    view = PacketView(
        dict(ADDRESS), [], records, [], meta(rid, flow="update", uin=uin, update_groups=["address"])
    )
    context = PacketContext(rid, {"packet": view, "flow": "update"})
    UpdateStage(world.store, DedupeConfig(), world.engine, abis).run(context)
    return context


@pytest.mark.parametrize("score", [95.0, 99.5])
def test_an_update_the_abis_matches_at_or_above_high_needs_no_adjudicator(world, score):
    _first, uin = registered(world)
    abis = ScriptedAbis({uin: score, "9999999999": 10.0})
    context = run_update(world, uin, abis)
    assert abis.asked == [(context.rid, [("finger", "Left Thumb")], [uin])]  # its captures, its gallery
    assert context.values["version"] == 2 and world.store.current(uin).version == 2
    assert adjudication.pending(world.engine)[1] == 0


@pytest.mark.parametrize("score", [79.9, None])
def test_an_update_the_abis_scores_below_low_is_refused(world, score):
    _first, uin = registered(world)
    abis = ScriptedAbis({} if score is None else {uin: score})  # no score for the UIN reads as 0
    with pytest.raises(Rejection) as refused:
        run_update(world, uin, abis)
    assert refused.value.code == "authentication_failed"
    assert refused.value.text == "the captures do not match the resident's biometrics"
    assert world.store.current(uin).version == 1


@pytest.mark.parametrize("score", [80.0, 94.94])
def test_an_update_scored_between_low_and_high_waits_for_an_adjudicator(world, score):
    first, uin = registered(world)
    with pytest.raises(Held) as held:
        run_update(world, uin, ScriptedAbis({uin: score}))
    assert held.value.code == "adjudication"
    assert held.value.text == f"the update waits for an adjudicator (biometric score {score:.0f})"
    candidate = adjudication.pending(world.engine)[0][0]["candidates"][0]
    assert candidate == {
        "uin": uin,
        "rid": first,
        "scores": {"biometric": round(score, 1)},
        "override_by": "sup1",
    }


def test_an_update_with_only_exceptions_is_not_sent_to_the_abis(world):
    _first, uin = registered(world)
    abis = ScriptedAbis({uin: 99.0})
    with pytest.raises(Held) as held:
        run_update(world, uin, abis, biometrics=[capture(exception=True)])
    assert abis.asked == [] and "no biometric match could be made" in held.value.text


def run_lost(world, abis, person) -> PacketContext:
    rid = "1000110001" + "7" * 5 + "20261120093000"
    view = PacketView(dict(person), [], [capture()], [], meta(rid, flow="lost"))
    context = PacketContext(rid, {"packet": view})
    LostStage(world.store, DedupeConfig(), world.engine, abis).run(context)
    return context


def test_a_lost_request_one_biometric_match_at_high_answers_at_once(world):
    _first, uin = registered(world)
    context = run_lost(world, ScriptedAbis({uin: 95.0, "9999999999": 50.0}), {"fullName": "Amina Diallo"})
    assert (context.values["uin"], context.values["found"]) == (uin, True)
    assert context.values["contact"]["fullName"] == "Amina Diallo"
    assert adjudication.pending(world.engine)[1] == 0


def test_two_biometric_matches_or_a_weaker_one_go_to_an_adjudicator(world):
    _first, uin = registered(world)
    for scores in ({uin: 96.0, "9999999999": 97.0}, {uin: 94.9}):
        with pytest.raises(Held) as held:
            run_lost(world, ScriptedAbis(scores), {"fullName": "Nobody Known"})
        assert held.value.code == "adjudication"
        assert held.value.text == f"{len(scores)} possible identity(ies): an adjudicator decides"
