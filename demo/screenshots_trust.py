"""Screenshot scenes for the kiosk's trust states, called from :mod:`demo.screenshots`.

A damaged sealed packet (one byte flipped on disk, found by the upload agent's own check and set aside
by the real quarantine function) as the sync centre, the end-of-day screen and the Arabic home screen
show it; and the setup screen of an already enrolled kiosk asking for a supervisor.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from client.core.registration.repository import Registrations
from client.core.sync.quarantine import find_damage, quarantine
from demo.screenshots import _settle, _wait


def damage_one_packet(client) -> str:
    """Flip one byte in the sealed file of an approved packet and quarantine it the way the upload agent
    does before sending (find_damage, then quarantine). Returns its RID."""
    with client.store.transaction() as conn:
        row = Registrations(conn).pending_uploads()[0]
    path = Path(row["packet_path"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # a single bit rot in the middle of the sealed file
    path.write_bytes(bytes(data))
    damage = find_damage(str(path), sha256=row["sha256"], size=int(row["size"]))
    if damage is None:
        raise RuntimeError(f"{row['rid']}: the flipped byte was not detected")
    quarantine(client.store, rid=row["rid"], damage=damage)
    return row["rid"]


def quarantine_scenes(app, window, client, shot: Callable[[str], None]) -> None:
    """16-18: a quarantined packet in the sync centre (English and Arabic), on end of day, and counted
    on the Arabic home."""
    rid = damage_one_packet(client)
    window.ctx.ops.bus.changed.emit(frozenset({"registrations"}))
    window.show_screen("sync")
    sync = window.screens["sync"]
    _wait(app, window, lambda: rid in sync.items and bool(sync.message.text()))
    shot("16-sync-centre-quarantined")
    window.show_screen("end_of_day")
    eod = window.screens["end_of_day"]
    _wait(app, window, lambda: eod.quarantined.isVisible())
    shot("17-end-of-day-quarantined-warning")
    window.show_screen("home")
    home = window.screens["home"]
    window.language_box.setCurrentIndex(window.language_box.findData("ara"))
    _wait(app, window, lambda: home.cards["quarantined"].number.text() == "1")
    shot("18-home-quarantined-arabic")
    window.show_screen("sync")
    _wait(app, window, lambda: rid in sync.items and bool(sync.message.text()))
    shot("16a-sync-centre-quarantined-arabic")
    window.language_box.setCurrentIndex(window.language_box.findData("eng"))
    _settle(app)


def reenrol_scene(app, window, shot: Callable[[str], None]) -> None:
    """19: the setup screen of an enrolled kiosk: enrolling again needs a supervisor's sign-in."""
    from demo.kiosk_fixture import SUPERVISOR

    window.show_screen("setup")
    setup = window.screens["setup"]
    _wait(app, window, lambda: setup.needs_supervisor and setup.supervisor.isVisible())
    setup.server.setText("https://registration.example.org")
    setup.center.setText("10001")
    setup.supervisor.setText(SUPERVISOR[0])
    setup.supervisor_password.setText(SUPERVISOR[2])
    shot("19-setup-reenrol-supervisor")
    window.language_box.setCurrentIndex(window.language_box.findData("ara"))
    _settle(app)
    shot("19a-setup-reenrol-supervisor-arabic")
    window.language_box.setCurrentIndex(window.language_box.findData("eng"))
    _settle(app)
