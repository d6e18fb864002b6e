"""The console's Import from a USB stick page in-process: an admin imports a folder and reads what
became of each packet; bad folders are said in words; auditors read the page but cannot import; a
center admin imports only their centers' kiosks."""

from __future__ import annotations

import os

from shared.media.models import ACK_NAME
from tests.support.console import csrf_of
from tests.support.media import enrolled_kiosk, write_export


def test_an_admin_imports_a_stick_and_sees_each_packet(signed_in, console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    folder, rids = write_export(tmp_path, kiosk, [os.urandom(2000), os.urandom(3000)])
    admin = signed_in(["admin"])
    listing = admin.get("/console/packets")
    assert 'action="/console/packets/import"' in listing.text
    form = admin.get("/console/packets/import")
    assert form.status_code == 200 and 'id="import-form"' in form.text
    done = admin.post("/console/packets/import", data={"csrf": csrf_of(form.text), "folder": str(tmp_path)})
    assert done.status_code == 200, done.text[:500]
    assert "2 received, 0 already here, 0 refused" in done.text
    assert all(f'id="rid-{rid}"' in done.text for rid in rids)
    assert (folder / ACK_NAME).is_file()
    again = admin.post("/console/packets/import", data={"csrf": csrf_of(form.text), "folder": str(tmp_path)})
    assert "0 received, 2 already here" in again.text  # a reload repeats the post: nothing changes
    french = admin.post(
        "/console/packets/import?lang=fra", data={"csrf": csrf_of(form.text), "folder": str(folder)}
    )
    assert "2 déjà ici" in french.text


def test_bad_folders_are_said_in_words(signed_in, tmp_path):
    admin = signed_in(["admin"])
    csrf = csrf_of(admin.get("/console/packets/import").text)
    empty = admin.post("/console/packets/import", data={"csrf": csrf, "folder": "  "})
    assert empty.status_code == 400 and "Choose a stick or type a folder." in empty.text
    relative = admin.post("/console/packets/import", data={"csrf": csrf, "folder": "media/usb"})
    assert relative.status_code == 400 and "starting at the root" in relative.text
    nothing = admin.post("/console/packets/import", data={"csrf": csrf, "folder": str(tmp_path)})
    assert nothing.status_code == 400 and "There is no kiosk export in" in nothing.text
    forged = admin.post("/console/packets/import", data={"csrf": "x", "folder": str(tmp_path)})
    assert forged.status_code == 403


def test_auditors_read_and_center_admins_import_their_centers_only(signed_in, console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    write_export(tmp_path, kiosk, [b"x" * 100])
    auditor = signed_in(["auditor"])
    page = auditor.get("/console/packets/import")
    assert page.status_code == 200 and 'id="import-form"' not in page.text
    assert "Only administrators" in page.text
    refused = auditor.post(
        "/console/packets/import", data={"csrf": csrf_of(page.text), "folder": str(tmp_path)}
    )
    assert refused.status_code == 403
    other = signed_in(["center_admin"], centers=["10002"])
    csrf = csrf_of(other.get("/console/packets/import").text)
    result = other.post("/console/packets/import", data={"csrf": csrf, "folder": str(tmp_path)})
    assert "not at one of your centers" in result.text and "received" not in result.text.split("Result")[1]
