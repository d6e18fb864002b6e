"""The rules under the status route, without HTTP: queue rows to resident states, the answer's
language, the input readers, the lookup on a throwaway SQLite with a real data key, and the guard's
per-address and per-RID buckets on a controlled clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, insert

from sync_server.console.resident_text import answer_for, answer_language, full_message
from sync_server.idstore.data_key import DataKeyring
from sync_server.processing.tables import metadata, processing_jobs
from sync_server.services.errors import BadInput, RateLimited
from sync_server.services.resident_status import (
    RESIDENT_PURPOSE,
    ResidentState,
    ResidentStatusGuard,
    ResidentStatusLimits,
    look_up_status,
    read_birth_date,
    read_rid,
    status_of,
)
from tests.integration.sync_server.resident.world import new_rid


def _row(**values):
    return {
        "status": "queued",
        "stage": None,
        "reason_code": None,
        "reason_text": None,
        "flow": "new",
        "resident_language": None,
    } | values


def test_queue_rows_become_the_five_resident_states():
    assert status_of(_row()).state is ResidentState.received
    for status in ("running", "retry", "failed"):
        assert status_of(_row(status=status, stage="dedupe")).state is ResidentState.processing
    for code in ("adjudication", "abis_pending"):
        assert status_of(_row(status="held", reason_code=code)).state is ResidentState.processing
    held = status_of(_row(status="held", reason_code="more_information", reason_text="  x" * 600))
    assert held.state is ResidentState.more_information and len(held.request) == 1000
    assert status_of(_row(status="processed", flow="weird")).flow == "new"
    rejected = status_of(_row(status="rejected", reason_code="made_up", reason_text="secret"))
    assert rejected.reason_code == "other" and rejected.request is None


def test_the_answer_language_and_words():
    assert answer_language(chosen="fra", recorded="ara", accept="en") == "fra"
    assert answer_language(chosen=None, recorded="ara", accept="fr") == "ara"
    assert answer_language(chosen=None, recorded="ar-MA", accept="fr") == "ara"
    assert answer_language(chosen=None, recorded="deu", accept="fr-CA,en") == "fra"
    assert answer_language(chosen="xx", recorded=None, accept=None) == "eng"
    rejected = status_of(_row(status="rejected", reason_code="capture_in_future"))
    answer = answer_for(rejected, "fra")
    assert answer.title == "Non accepté" and "problème technique" in answer.reason
    assert full_message(answer, "fra").startswith("Votre enregistrement n'a pas pu aboutir. Motif :")


def test_typed_rids_and_dates_are_read_or_refused():
    rid = new_rid()
    assert read_rid(f" {rid[:10]} - {rid[10:20]}\u2013{rid[20:]} ") == rid
    arabic = rid.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert read_rid(arabic) == rid
    for bad in ("", "1" * 28, rid + "1", rid[:-1] + "x", "\u00b2" * 29, "9" * 70):
        with pytest.raises(BadInput):
            read_rid(bad)
    assert read_birth_date("25/04/1990") == read_birth_date("1990/04/25") == "1990-04-25"
    for bad in ("", "1990-13-01", "04/25/1990", "yesterday", "1" * 40):
        with pytest.raises(BadInput):
            read_birth_date(bad)


def test_the_lookup_matches_the_date_under_the_rows_key(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    metadata.create_all(engine)
    keyring = DataKeyring(tmp_path)
    old = keyring.current
    keyring.rotate()  # a row hashed under an older key is still found under that key
    rid, now = new_rid(), dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(processing_jobs).values(
                rid=rid,
                status="processed",
                attempts=1,
                next_attempt_at=now,
                enqueued_at=now,
                info={},
                uin="4825139076",
                resident_check=old.keyed_hash(RESIDENT_PURPOSE, "1990-04-25"),
                resident_key_id=old.key_id,
                resident_language="fra",
            )
        )
    found = look_up_status(engine, keys=keyring, rid=rid, date_of_birth="1990-04-25")
    assert found is not None and found.state is ResidentState.uin_issued and found.language == "fra"
    assert look_up_status(engine, keys=keyring, rid=rid, date_of_birth="1990-04-26") is None
    assert look_up_status(engine, keys=keyring, rid=new_rid(), date_of_birth="1990-04-25") is None
    with engine.begin() as conn:  # the key file is gone: not found, never an error
        conn.execute(processing_jobs.update().values(resident_key_id="0" * 16))
    assert look_up_status(engine, keys=keyring, rid=rid, date_of_birth="1990-04-25") is None
    engine.dispose()


def test_the_guard_buckets_per_address_per_minute_and_per_rid_per_hour():
    now = [1000.0]
    guard = ResidentStatusGuard(
        ResidentStatusLimits(per_address_per_minute=2, per_rid_per_hour=3), clock=lambda: now[0]
    )
    guard.admit_address("a")
    guard.admit_address("a")
    with pytest.raises(RateLimited) as refused:
        guard.admit_address("a")
    assert refused.value.retry_after == pytest.approx(30.0)
    guard.admit_address("b")
    now[0] += 30
    guard.admit_address("a")
    for _ in range(3):
        guard.admit_rid("r")
    with pytest.raises(RateLimited) as refused:
        guard.admit_rid("r")
    assert refused.value.retry_after == pytest.approx(20 * 60)  # one token in 20 minutes
    now[0] += 20 * 60 + 1
    guard.admit_rid("r")


@pytest.mark.parametrize("lang", ["eng", "fra", "ara"])
def test_every_state_flow_and_reason_has_words(lang):
    """The words are looked up by built keys (state, flow, reason code), which the console's word test
    cannot see; each must exist in every language."""
    from sync_server.console.i18n import tables
    from sync_server.services.resident_status import FLOWS, KNOWN_REASONS

    words = set(tables()[lang].values())
    rows = [
        _row(),
        _row(status="running"),
        _row(status="held", reason_code="more_information", reason_text="x"),
        *(_row(status="processed", flow=flow) for flow in FLOWS),
        *(_row(status="rejected", reason_code=code) for code in [*KNOWN_REASONS, "other"]),
    ]
    for row in rows:
        answer = answer_for(status_of(row), lang)
        assert {answer.title, answer.message} <= words, row
        assert answer.reason is None or answer.reason in words, row
