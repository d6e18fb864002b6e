"""A staged release travels with the office's answer on a stick (issue 21): the import copies the
newest release out of the update repository next to the answer, the kiosk's answer import checks it
with TUF against its trusted root and stages it; a stick with an altered bundle is refused."""

from __future__ import annotations

from client.core.media.ack_import import import_ack
from demo.kiosk_fixture import seeded_kiosk
from shared.media.layout import kiosk_folder
from shared.media.models import UPDATES_DIR
from shared.signing import generate_private_key
from sync_server.services.media_ack import copy_updates
from tests.support.media import answer_kiosk


def kiosk_with_updates(tmp_path, repo, monkeypatch):
    monkeypatch.setenv("OPENREG_CLIENT_UPDATE_INSTALL_ROOT", str(tmp_path / "install"))
    monkeypatch.setenv("OPENREG_CLIENT_UPDATE_TRUSTED_ROOT", str(repo.metadata_dir / "1.root.json"))
    return seeded_kiosk(tmp_path / "kiosk")


def test_a_release_on_the_stick_is_verified_and_staged(tmp_path, tiny_bundle, release_repo, monkeypatch):
    repo, keys = release_repo
    repo.publish(tiny_bundle("0.1.0"), keys=keys)
    repo.publish(tiny_bundle("0.2.0"), keys=keys)
    stick = tmp_path / "stick"
    folder = kiosk_folder(stick, "10042")
    folder.mkdir(parents=True)
    assert copy_updates(None, folder) is None and copy_updates(tmp_path / "no-repo", folder) is None
    updates = copy_updates(repo.directory, folder)
    assert updates is not None and updates.version == "0.2.0"
    targets = sorted(p.name for p in (folder / UPDATES_DIR / "targets").iterdir())
    assert len(targets) == 2 and any(name.endswith("openreg-0.2.0.tar.gz") for name in targets)
    assert copy_updates(repo.directory, folder).version == "0.2.0"  # again: the stick's copy is reused
    app = kiosk_with_updates(tmp_path, repo, monkeypatch)
    try:
        answer_kiosk(app, stick, generate_private_key(), updates=updates.model_dump())
        report = import_ack(app, stick)
        assert report.update is not None and (report.update.status, report.update.version) == (
            "staged",
            "0.2.0",
        )
    finally:
        app.close()


def test_an_altered_release_on_the_stick_is_refused(tmp_path, tiny_bundle, release_repo, monkeypatch):
    repo, keys = release_repo
    repo.publish(tiny_bundle("0.2.0"), keys=keys)
    stick = tmp_path / "stick"
    folder = kiosk_folder(stick, "10042")
    folder.mkdir(parents=True)
    updates = copy_updates(repo.directory, folder)
    bundle = next(p for p in (folder / UPDATES_DIR / "targets").iterdir() if p.name.endswith(".tar.gz"))
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bundle.write_bytes(bytes(data))
    app = kiosk_with_updates(tmp_path, repo, monkeypatch)
    try:
        answer_kiosk(app, stick, generate_private_key(), updates=updates.model_dump())
        report = import_ack(app, stick)
        assert report.update.status == "refused" and "altered or damaged" in report.update.message
        assert report.delivered == []  # the answer itself was still read
    finally:
        app.close()
