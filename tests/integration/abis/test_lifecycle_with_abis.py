"""End to end with the reference ABIS: a real sync server with a worker, the ABIS as its own process,
and packets carrying the simulator's ISO 19794 records of synthetic people. The same person under
another name is a duplicate without anyone looking; a namesake with other biometrics waits for an
adjudicator; the resident's own captures authenticate an update; a lost-UIN request is answered by
biometrics alone."""

from __future__ import annotations

from shared.packet import BiometricRecord
from tests.integration.abis.people import records_of
from tests.integration.sync_server.kiosk import Kiosk, final
from tests.support.packets import PERSON, seal_and_upload


def captures(person: int, impression: int = 0) -> list[BiometricRecord]:
    return [
        BiometricRecord(r.modality, r.subtype, r.format, 80, {}, r.data)
        for r in records_of(person, impression)
    ]


def settled(state: dict) -> bool:
    return final(state) or state.get("reason_code") == "adjudication"


def settle(kiosk: Kiosk, rid: str) -> dict:
    return kiosk.wait_for(rid, settled, timeout=120, every=0.3)


def test_biometric_dedupe_update_and_lost_through_the_abis(start_sync_server, abis, tmp_path):
    server = start_sync_server(tmp_path / "server", workers=1, env={"OPENREG_SERVER_ABIS_URL": abis.url})
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()

    first = seal_and_upload(kiosk, tmp_path, biometrics=captures(101))
    uin = settle(kiosk, first)["uin"]
    assert uin

    # The same fingers and eyes, re-captured, under another name and birth date: a duplicate.
    again = seal_and_upload(
        kiosk,
        tmp_path,
        person=PERSON | {"fullName": "Zara Quist", "dateOfBirth": "1990-07-01"},
        biometrics=captures(101, impression=1),
    )
    state = settle(kiosk, again)
    assert (state["status"], state["reason_code"], state["reason"]) == (
        "rejected",
        "duplicate",
        f"duplicate of UIN {uin}",
    )

    # A namesake (same name, birth date, city) with other biometrics: a person decides, not a hash.
    namesake = seal_and_upload(kiosk, tmp_path, biometrics=captures(102))
    assert settle(kiosk, namesake)["reason_code"] == "adjudication"

    # Her own captures authenticate her update without an adjudicator.
    update = seal_and_upload(
        kiosk,
        tmp_path,
        person={
            "region": "R1",
            "province": "P1",
            "city": "C1",
            "addressLine": "9 Route du Lac",
        },  # the whole address
        biometrics=captures(101, impression=2),
        meta_update={"flow": "update", "uin": uin, "update_groups": ["address"]},
    )
    assert settle(kiosk, update)["status"] == "processed"

    # Lost: no details remembered; the fingers and eyes find her.
    lost = seal_and_upload(
        kiosk, tmp_path, person={}, biometrics=captures(101, impression=3), meta_update={"flow": "lost"}
    )
    found = settle(kiosk, lost)
    assert (found["status"], found["uin"]) == ("processed", uin)
