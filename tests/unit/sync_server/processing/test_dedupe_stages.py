"""The new-registration stages with an ABIS and with an adjudicator's decisions (``registration_stages``):
biometric duplicates, the candidates an adjudicator sees (best first, at most ten), a merge into the
matched identity, the gallery insert, and a demographic record that cannot be deduplicated. The ABIS's
answer is scripted: it is a separate process in production, and here its scores are the input."""

from __future__ import annotations

import pytest

from shared.packet import load_identities
from sync_server.processing import adjudication
from sync_server.processing.dedupe import DedupeConfig
from sync_server.processing.flows import build_stages
from sync_server.processing.pipeline import Pipeline, RetryPolicy
from sync_server.processing.stages import make_packet_opener
from sync_server.processing.worker import ProcessingWorker
from tests.unit.sync_server.processing import test_stages
from tests.unit.sync_server.processing.test_stages import PERSON, status

world = test_stages.world  # the same fixture: a queue, ID store, master data and sealed packets


class GalleryAbis:
    """Fixed scores per UIN for every identify; keeps what it was asked and what went into its gallery."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.asked: list[tuple[str, list[tuple[str, str]], list[str] | None]] = []
        self.inserted: list[tuple[str, str, list[tuple[str, str]]]] = []

    def identify(self, *, rid, records, gallery):
        self.asked.append((rid, [(r.modality, r.subtype) for r in records], gallery))
        return dict(self.scores)

    def insert(self, *, uin, rid, records):
        self.inserted.append((uin, rid, [(r.modality, r.subtype) for r in records]))


def abis_worker(world, tmp_path, abis, dedupe: DedupeConfig | None = None):
    opener = make_packet_opener(load_identities(tmp_path / "server-identity.txt"))
    stages = build_stages(
        packets=world.packets,
        master=world.master,
        opener=opener,
        store=world.store,
        dedupe=dedupe or DedupeConfig(),
        engine=world.engine,
        abis=abis,
    )
    return ProcessingWorker(
        engine=world.engine,
        pipeline_factory=lambda: Pipeline(stages),
        policy=RetryPolicy(base_seconds=0),
        poll_seconds=0.01,
    )


def registered(world, **kwargs) -> tuple[str, str]:
    rid = world.make(**kwargs)
    world.drain(world.worker())
    uin = status(world, rid)["uin"]
    assert uin, status(world, rid)["reason_text"]
    return rid, uin


NAMES = ("Kofi Mensah", "Leila Haddad", "Tariq Nasser")


def stranger(world, number: int) -> str:
    """Someone no demographic match links to anyone: only the ABIS can."""
    person = PERSON | {"fullName": NAMES[number - 1], "dateOfBirth": f"19{50 + number}-03-03"}
    return world.make(person=person)


def test_a_new_identity_goes_into_the_abis_gallery_with_its_captures_not_its_exceptions(world, tmp_path):
    abis = GalleryAbis({})
    bios = [["finger", "Left Thumb", True], ["iris", "Left", False], ["face", "Face", False]]
    rid = world.make(biometrics=bios)
    world.drain(abis_worker(world, tmp_path, abis))
    uin = status(world, rid)["uin"]
    assert status(world, rid)["status"] == "processed" and uin
    assert abis.asked == [(rid, [("iris", "Left"), ("face", "Face")], None)]  # against everyone
    assert abis.inserted == [(uin, rid, [("iris", "Left"), ("face", "Face")])]


def test_a_biometric_match_at_high_is_a_duplicate_and_a_weaker_one_goes_to_an_adjudicator(world, tmp_path):
    _first, uin = registered(world)
    sure = stranger(world, 1)
    world.drain(abis_worker(world, tmp_path, GalleryAbis({uin: 95.0})))
    assert (status(world, sure)["reason_code"], status(world, sure)["reason_text"]) == (
        "duplicate",
        f"duplicate of UIN {uin}",
    )
    maybe = stranger(world, 2)
    world.drain(abis_worker(world, tmp_path, GalleryAbis({uin: 94.9, "9999999999": 79.9})))
    held = status(world, maybe)
    assert held["reason_code"] == "adjudication"
    assert held["reason_text"] == "possible duplicate of 1 identity(ies): an adjudicator decides"
    case = adjudication.pending(world.engine)[0][0]
    assert case["candidates"] == [{"uin": uin, "rid": "", "scores": {"total": 0.0, "biometric": 94.9}}]


def test_an_adjudicator_sees_at_most_ten_candidates_best_first(world, tmp_path):
    scores = {f"90000000{i:02d}": 80.0 + i for i in range(12)} | {"8000000000": 85.0}
    rid = stranger(world, 3)
    world.drain(abis_worker(world, tmp_path, GalleryAbis(scores)))
    assert status(world, rid)["reason_code"] == "adjudication"
    listed = [
        (c["uin"], c["scores"]["biometric"]) for c in adjudication.pending(world.engine)[0][0]["candidates"]
    ]
    expected = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert listed == expected and ("9000000000", 80.0) not in listed


def test_an_exact_demographic_match_is_a_candidate_with_its_registration(world, tmp_path):
    first, uin = registered(world)
    second = world.make()
    world.drain(world.worker())
    candidate = adjudication.pending(world.engine)[0][0]["candidates"][0]
    assert (candidate["uin"], candidate["rid"], candidate["exact"]) == (uin, first, True)
    assert candidate["scores"]["total"] == 100.0
    assert (
        status(world, second)["reason_text"]
        == "possible duplicate of 1 identity(ies): an adjudicator decides"
    )


def test_a_merge_decision_makes_the_packet_the_next_version_of_the_matched_identity(world):
    first, uin = registered(world)
    second = world.make(person=PERSON | {"fullName": "AMINA  DIALLO", "addressLine": "9 Rue Neuve"})
    world.drain(world.worker())
    adjudication.decide(
        world.engine, rid=second, decision="merge", uin=uin, actor="adj1", reason="same person"
    )
    world.drain(world.worker())
    state = status(world, second)
    assert (state["status"], state["uin"]) == ("processed", uin), state["reason_text"]
    current = world.store.current(uin)
    assert current.version == 2 and current.demographics["addressLine"] == "9 Rue Neuve"
    stored = world.store.get_by_rid(first, actor="admin", purpose="test")
    assert {b.kind for b in stored.blobs} == {"document", "biometric"}


def test_a_different_decision_stores_a_second_identity(world):
    _first, uin = registered(world)
    second = world.make()
    world.drain(world.worker())
    adjudication.decide(world.engine, rid=second, decision="different", actor="adj1", reason="twins")
    world.drain(world.worker())
    assert status(world, second)["status"] == "processed" and status(world, second)["uin"] != uin


@pytest.mark.parametrize("dedupe", [DedupeConfig(exact_fields=("email",))])
def test_demographics_that_cannot_be_deduplicated_are_rejected(world, tmp_path, dedupe):
    rid = world.make()
    world.drain(abis_worker(world, tmp_path, None, dedupe))
    state = status(world, rid)
    assert (state["status"], state["reason_code"]) == ("rejected", "invalid_demographics")
    assert state["reason_text"].startswith("cannot dedupe: ")
