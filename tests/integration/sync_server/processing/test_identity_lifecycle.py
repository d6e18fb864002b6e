"""End to end, identity lifecycle: a real sync server process with a processing worker and resident
e-mails to a real SMTP server; kiosk packets of every flow; decisions through the adjudication desk
the console uses. Register -> update the address -> ID store version 2; a typo'd second registration
waits for an adjudicator, who asks for more information, which a correction packet answers, and then
decides; a lost-UIN request finds the UIN; the resident is told at each step."""

from __future__ import annotations

import pytest

from sync_server.bootstrap import build_backend
from sync_server.settings import ServerSettings
from tests.integration.sync_server.kiosk import Kiosk, final
from tests.support.packets import PERSON, seal_and_upload

RESIDENT = PERSON | {"email": "amina@example.org"}


def waits_for(code: str):
    return lambda state: state.get("reason_code") == code


@pytest.fixture
def world(start_sync_server, smtp_server, tmp_path, monkeypatch):
    env = {
        "OPENREG_NOTIFY_SMTP_HOST": smtp_server.host,
        "OPENREG_NOTIFY_SMTP_PORT": str(smtp_server.port),
        "OPENREG_NOTIFY_SMTP_SECURITY": "none",
        "OPENREG_NOTIFY_SMTP_FROM": "no-reply@registry.example",
        "OPENREG_NOTIFY_IDLE_S": "0.2",
    }
    server = start_sync_server(tmp_path / "server", workers=1, env=env)
    for name, value in env.items():  # the desk below queues its own e-mail (more information)
        monkeypatch.setenv(name, value)
    backend = build_backend(ServerSettings(data_dir=server.data_dir), threads=0)
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    yield kiosk, backend, smtp_server
    backend.report_parts.dispose()
    backend.engine.dispose()


def subjects(mailbox, count: int) -> list[str]:
    return sorted(str(m["Subject"]) for m in mailbox.wait(count, timeout=30))


def test_update_typo_correction_and_lost_flows_end_to_end(world, tmp_path):
    kiosk, backend, mailbox = world
    desk = backend.adjudication_desk

    first = seal_and_upload(kiosk, tmp_path, person=RESIDENT)
    uin = kiosk.wait_for(first, final)["uin"]
    assert uin and backend.id_store.current(uin).version == 1

    # Update: the new address only; no ABIS here, so an adjudicator authenticates the resident.
    update = seal_and_upload(
        kiosk,
        tmp_path,
        person={
            "region": "R1",
            "province": "P1",
            "city": "C1",
            "addressLine": "2 Avenue des Fleurs",
        },  # the whole address
        meta_update={"flow": "update", "uin": uin, "update_groups": ["address"]},
    )
    kiosk.wait_for(update, waits_for("adjudication"))
    desk.decide(update, decision="approve", actor="adj1", reason="face matches the photo on file")
    assert kiosk.wait_for(update, final)["status"] == "processed"
    current = backend.id_store.current(uin)
    assert current.version == 2 and current.demographics["addressLine"] == "2 Avenue des Fleurs"
    assert current.demographics["fullName"] == "Amina Diallo"  # unchanged fields stay

    # The same person again with a typo in the name: held, more information asked, corrected, decided.
    typo = seal_and_upload(kiosk, tmp_path, person=RESIDENT | {"fullName": "Amina Dialo"})
    kiosk.wait_for(typo, waits_for("adjudication"))
    case = desk.case(typo, actor="adj1")
    assert [c.label for c in case.candidates] == [uin] and case.candidates[0].scores["total"] >= 80
    desk.ask_for_more_information(typo, actor="adj1", request="a birth certificate")
    asked = kiosk.wait_for(typo, waits_for("more_information"))
    assert asked["reason"] == "a birth certificate"
    answer = seal_and_upload(
        kiosk, tmp_path, person={}, meta_update={"flow": "correction", "correction_of": typo}
    )
    assert kiosk.wait_for(answer, final)["status"] == "processed"
    kiosk.wait_for(typo, waits_for("adjudication"))  # resumed, and back with the adjudicator
    desk.decide(typo, decision="same", uin=uin, actor="adj1", reason="same birth certificate")
    rejected = kiosk.wait_for(typo, final)
    assert (rejected["status"], rejected["reason_code"]) == ("rejected", "duplicate")

    # Lost: she remembers her name and birth date; an adjudicator confirms the one candidate.
    lost = seal_and_upload(
        kiosk,
        tmp_path,
        person={"fullName": "Amina Diallo", "dateOfBirth": PERSON["dateOfBirth"]},
        meta_update={"flow": "lost"},
    )
    kiosk.wait_for(lost, waits_for("adjudication"))
    desk.decide(lost, decision="found", uin=uin, actor="adj1", reason="fingerprints checked on paper")
    found = kiosk.wait_for(lost, final)
    assert (found["status"], found["uin"]) == ("processed", uin)

    # Each step told the resident at an address she gave (the update and lost packets carry none:
    # their news goes to the address on file); no other person's UIN in a rejection.
    assert subjects(mailbox, 6) == [
        f"More information is needed for your registration {typo}",
        "We found your identity number (UIN)",
        "Your identity number (UIN) has been issued",
        "Your identity record has been updated",
        f"Your registration {typo} could not be accepted",
        f"Your registration {typo} was received",
    ]
    bodies = [m.get_body(("plain",)).get_content() for m in mailbox.wait(6)]
    assert all(message_to == ["amina@example.org"] for _, message_to, _ in mailbox.messages)
    rejection = next(b for b in bodies if "could not be accepted" in b)
    assert uin not in rejection


def test_a_correction_for_a_packet_that_asked_nothing_is_rejected(world, tmp_path):
    kiosk, _backend, _mailbox = world
    first = seal_and_upload(kiosk, tmp_path, person=RESIDENT | {"fullName": "Kofi Mensah"})
    kiosk.wait_for(first, final)
    answer = seal_and_upload(
        kiosk, tmp_path, person={}, meta_update={"flow": "correction", "correction_of": first}
    )
    state = kiosk.wait_for(answer, final)
    assert (state["status"], state["reason_code"]) == ("rejected", "correction_not_expected")
