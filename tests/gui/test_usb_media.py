"""The supervisor's USB stick screen (issue 21): export approved packets to a stick with a progress bar,
read the office's answer back (UINs, a rejection, a master-data change); a tampered answer is refused in
words; an operator cannot use it. Screenshots: /tmp/usb-export-eng.png and /tmp/usb-export-ara.png."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import text

from client.core.machine import write_setting
from client.ui.screens import usb_media
from demo.kiosk_fixture import OPERATOR
from shared.media.drives import Drive
from shared.media.envelope import read_document, verify_document
from shared.media.layout import kiosk_folder
from shared.media.models import ACK_NAME, MANIFEST_NAME, ExportManifest
from shared.signing import generate_private_key
from shared.sync import ChangesPage, MasterDataChange, PacketStatus, sign_changes_page
from tests.support.media import answer_kiosk

from .test_end_of_day_review import pending_packets
from .ui_walk import english_leaks, visible_texts


def approved_packets(window, kiosk, n: int) -> list[str]:
    rids = pending_packets(window, kiosk, n)  # leaves the supervisor signed in
    for rid in rids:
        kiosk.end_of_day.approve(session=window.ctx.session, rid=rid)
    return rids


def open_usb(qtbot, window, stick):
    window.show_screen("usb")
    screen = window.screens["usb"]
    screen.set_folder(stick)
    qtbot.waitUntil(lambda: screen.pending is not None, timeout=10000)
    return screen


def export(qtbot, screen):
    qtbot.mouseClick(screen.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: not screen.busy and bool(screen.state.text() or screen.message.text()), timeout=20000
    )


def answer_from_office(kiosk, stick, rids, *, tamper: bool = False) -> None:
    """What the office writes back (tests.support.media.answer_kiosk): a UIN, a rejection, a change."""
    server_key = generate_private_key()
    with kiosk.store.transaction() as conn:
        write_setting(conn, "masterdata.cursor", 100)
    change = {"id": "usb.test", "value": 7}
    page = ChangesPage(
        changes=[MasterDataChange(seq=101, entity="config", id="usb.test", op="upsert", data=change)],
        next_cursor=101,
        complete=True,
    )
    folder = answer_kiosk(
        kiosk,
        stick,
        server_key,
        received=rids,
        statuses=[
            PacketStatus(rid=rids[0], status="processed", uin="4825139076"),
            PacketStatus(
                rid=rids[1], status="rejected", reason_code="duplicate", reason="duplicate of UIN 1"
            ),
        ],
        masterdata={"since": 100, "pages": [sign_changes_page(server_key, page).model_dump(mode="json")]},
    )
    if tamper:
        sealed = (folder / ACK_NAME).read_bytes()
        (folder / ACK_NAME).write_bytes(sealed[:-20] + bytes(b ^ 0x55 for b in sealed[-20:]))


def test_export_then_answer_with_uins_and_master_data(qtbot, window, kiosk, tmp_path, monkeypatch):
    stick = tmp_path / "KINGSTON"
    stick.mkdir()
    found = [Drive(path=stick, label="KINGSTON", free_bytes=15_480_000_000, total_bytes=16_000_000_000)]
    monkeypatch.setattr(usb_media, "removable_drives", lambda: found)  # a stick is plugged in
    rids = approved_packets(window, kiosk, 2)
    window.show_screen("usb")
    screen = window.screens["usb"]
    qtbot.waitUntil(lambda: screen.pending is not None and screen.drives == found, timeout=10000)
    assert screen.folder == stick and screen.drive_box.currentText() == "KINGSTON (15480 MB free)"
    assert screen.pending == 2 and screen.export_button.isEnabled()
    export(qtbot, screen)
    assert screen.state.text().startswith("2 packet(s) are on the stick")
    assert screen.bar.value() == screen.bar.maximum()
    folder = kiosk_folder(stick, "10042")
    manifest = verify_document(
        read_document((folder / MANIFEST_NAME).read_bytes()),
        kiosk.machine.identity().public_key,
        ExportManifest,
    )
    assert sorted(p.rid for p in manifest.packets) == sorted(rids)
    assert screen.table.rowCount() == 2
    window.retranslate()  # the signed-in supervisor's name in the top bar (the test set the session)
    window.grab().save("/tmp/usb-export-eng.png")
    window.ctx.language.set("ara")
    qtbot.wait(100)  # the mirrored layout is laid out by posted events
    words = [(w, x) for w, x in visible_texts(screen) if w != "QLabel#usb_folder"]  # a path is data
    assert not english_leaks(words)
    assert "الحزم الموجودة على الذاكرة" in screen.state.text()
    window.grab().save("/tmp/usb-export-ara.png")
    window.ctx.language.set("eng")

    answer_from_office(kiosk, stick, rids)
    qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: not screen.busy and screen.state.text().startswith("Office answer"), timeout=20000
    )
    qtbot.waitUntil(lambda: screen.pending == 0, timeout=10000)
    assert "2 packet(s) arrived at the office, 1 master-data change(s) applied" in screen.state.text()
    cells = {
        screen.table.item(r, 0).text(): screen.table.item(r, 2).text() for r in range(screen.table.rowCount())
    }
    assert cells[rids[0]] == "4825139076"
    with kiosk.store.transaction() as conn:
        rows = dict(conn.execute(text("SELECT rid, status FROM registrations")).all())
    assert rows == dict.fromkeys(rids, "uploaded")
    assert kiosk.master_data.config("usb.test") == 7
    window.grab().save("/tmp/usb-answer-eng.png")


def test_a_tampered_answer_is_refused_in_words(qtbot, window, kiosk, tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    rids = approved_packets(window, kiosk, 1)
    screen = open_usb(qtbot, window, stick)
    export(qtbot, screen)
    answer_from_office(kiosk, stick, rids + rids, tamper=True)
    window.ctx.language.set("fra")
    qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.busy and bool(screen.message.text()), timeout=20000)
    assert screen.message.text().startswith("Cette réponse est endommagée")
    assert screen.message.details()  # the technical cause, for support
    with kiosk.store.transaction() as conn:
        assert conn.execute(text("SELECT status FROM registrations")).scalar_one() == "approved"


def test_a_full_stick_is_said_before_anything_is_written(qtbot, window, kiosk, tmp_path, monkeypatch):
    import shutil

    stick = tmp_path / "stick"
    stick.mkdir()
    approved_packets(window, kiosk, 1)
    screen = open_usb(qtbot, window, stick)
    usage = shutil.disk_usage(stick)
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage._replace(free=1_000_000))
    export(qtbot, screen)
    assert screen.message.text().startswith("The stick is full: it has 1 MB free")
    assert not (kiosk_folder(stick, "10042") / MANIFEST_NAME).exists()


def test_an_operator_cannot_use_the_stick(qtbot, window, kiosk, tmp_path):
    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    screen = open_usb(qtbot, window, tmp_path)
    assert not screen.export_button.isEnabled() and not screen.import_button.isEnabled()
    assert "Only a supervisor" in screen.message.text()


def test_every_problem_is_worded_in_every_language(window):
    from client.core.media.errors import CODES, MediaProblem
    from client.ui.screens.usb_media import problem_text

    for lang in ("eng", "fra", "ara"):
        window.ctx.language.set(lang)
        for code in CODES:
            worded = problem_text(MediaProblem(code, "x", free=5_000_000, needed=9_000_000), window.ctx.t)
            assert worded and not worded.startswith("media.problem"), (lang, code)
        assert "unfinished" in problem_text(MediaProblem("full", "x"), window.ctx.t) or lang != "eng"
