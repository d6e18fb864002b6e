"""``openreg id letter`` against a migrated server database (SQLite and PostgreSQL) with demo master data
and a real ID store, and ``openreg id verify`` offline on the PDF, on a rotated, noisy JPEG photo of
it, and on forged, foreign and empty inputs."""

from __future__ import annotations

import base64
import datetime as dt
import io
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import segno
from click.testing import CliRunner
from PIL import Image, ImageFilter
from sqlalchemy.orm import Session

from shared.canonical import canonical_json
from shared.signing import generate_private_key, key_id
from shared.uin_credential import issue_credential
from sync_server.bootstrap import demo_files
from sync_server.db.engine import make_engine
from sync_server.db.migrate import migrate
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.keys import load_or_create_keys
from sync_server.letters.cli import id_group
from sync_server.letters.trusted_keys import public_key_file_text
from sync_server.services.audit import list_entries, verify_chain
from sync_server.services.masterdata import import_paths

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
ARABIC_NAME = "أمينة ديالو"


@dataclass
class Server:
    data: Path
    url: str
    uin: str


def make_server(tmp_path: Path, db_url: str | None) -> Server:
    """A server data folder as a started server leaves it: migrated DB, keys, demo master data, and one
    identity written by the ID store (center 10001, "Capital Central")."""
    data = tmp_path / "server"
    data.mkdir(mode=0o700)
    url = db_url or f"sqlite:///{data / 'server.db'}"
    engine = make_engine(url)
    migrate(engine, data_dir=data)
    load_or_create_keys(data)
    with Session(engine) as session, session.begin():
        import_paths(session, demo_files())
    store = IdStore(engine=engine, keyring=DataKeyring(data))
    uin = store.issue_uin(rid="R-LETTER-1")
    store.write_identity(
        uin=uin,
        rid="R-LETTER-1",
        demographics={
            "fullName": [
                {"language": "eng", "value": "Amina Diallo"},
                {"language": "ara", "value": ARABIC_NAME},
            ],
            "dateOfBirth": "1990-04-03",
        },
        dedupe_key="d" * 64,
        center_id="10001",
        blobs_in=[],
    )
    engine.dispose()
    return Server(data, url, uin)


def run(*args: str | Path):
    return CliRunner().invoke(id_group, [str(a) for a in args])


def letter_args(server: Server, out: Path, *extra: str) -> list:
    return ["letter", server.uin, "--data", server.data, "--db", server.url, "--out", out, *extra]


def test_an_audited_arabic_letter_verifies_offline(tmp_path, db_url):
    server = make_server(tmp_path, db_url)
    out = tmp_path / "out" / "letter.pdf"
    made = run(
        *letter_args(
            server, out, "--language", "ara", "--purpose", "resident asked", "--issued-on", "2026-06-01"
        )
    )
    assert made.exit_code == 0, made.output
    assert out.read_bytes().startswith(b"%PDF") and out.stat().st_mode & 0o077 == 0
    signing_key = load_or_create_keys(server.data).signing_key
    assert f"key id {key_id(signing_key)}" in made.output

    engine = make_engine(server.url)
    with engine.connect() as conn:
        entries = list_entries(conn, limit=10)
        assert verify_chain(conn).ok
    engine.dispose()
    read, issued = [e for e in entries if e.target == server.uin][::-1]  # oldest first
    assert (read.action, read.details["purpose"]) == ("identity.read", "resident asked")
    assert issued.action == "identity.letter" and issued.actor.startswith("cli:")
    assert issued.details["language"] == "ara" and issued.details["issued_on"] == "2026-06-01"

    key_file = tmp_path / "server-key.pub"
    assert run("public-key", "--data", server.data, "--out", key_file).exit_code == 0
    for trust in (["--key", key_file], ["--server-key-dir", server.data / "keys"]):
        checked = run("verify", out, *trust)
        assert checked.exit_code == 0, checked.output
        assert f"Name:      {ARABIC_NAME}" in checked.output
        assert f"UIN:       {server.uin[:4]} {server.uin[4:8]} {server.uin[8:]}" in checked.output
        assert "Issued on: 2026-06-01" in checked.output and checked.output.endswith("signature valid\n")


def test_letter_command_errors_change_nothing(tmp_path):
    server = make_server(tmp_path, None)
    out = tmp_path / "letter.pdf"
    engine = make_engine(server.url)
    with engine.connect() as conn:
        before = len(list_entries(conn, limit=1000))
    assert run(*letter_args(server, out, "--purpose", "  ")).exit_code == 2
    assert run(*letter_args(server, out, "--purpose", "p", "--language", "deu")).exit_code == 2
    assert (
        "check digit"
        in run("letter", "2345678900", "--data", server.data, "--out", out, "--purpose", "p").output
    )
    fresh = run("letter", server.uin, "--data", tmp_path / "never-started", "--out", out, "--purpose", "p")
    assert fresh.exit_code == 1 and "start the server once" in fresh.output
    assert not (tmp_path / "never-started" / "keys").exists()
    assert not out.exists()
    with engine.connect() as conn:
        assert len(list_entries(conn, limit=1000)) == before
    # an --out that cannot be written: the read is on record, the letter is not
    (tmp_path / "a-file").write_text("")
    blocked = run(*letter_args(server, tmp_path / "a-file" / "letter.pdf", "--purpose", "p"))
    assert blocked.exit_code == 1 and "cannot write" in blocked.output
    with engine.connect() as conn:
        entries = list_entries(conn, limit=1000)  # newest first
    assert len(entries) == before + 1 and entries[0].action == "identity.read"
    engine.dispose()


def test_unknown_identity_is_a_clear_error(tmp_path):
    server = make_server(tmp_path, None)
    store = IdStore(engine=make_engine(server.url), keyring=DataKeyring(server.data))
    other = store.issue_uin(rid="R-NO-IDENTITY")  # a valid UIN with no identity written
    result = run("letter", other, "--data", server.data, "--out", tmp_path / "x.pdf", "--purpose", "p")
    assert result.exit_code == 1 and f"no identity with UIN {other}" in result.output


def photo_of(pdf: Path, tmp_path: Path) -> Path:
    """The page as a phone might see it: 150 dpi, turned 7 degrees, blurred, grainy, JPEG-compressed."""
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True
    )
    page = Image.open(tmp_path / "page.png").convert("L").rotate(7, expand=True, fillcolor=235)
    page = page.filter(ImageFilter.GaussianBlur(0.8))
    rng = random.Random(17)
    noisy = page.copy()
    pixels = noisy.load()
    for _ in range(40_000):
        x, y = rng.randrange(noisy.width), rng.randrange(noisy.height)
        pixels[x, y] = max(0, min(255, pixels[x, y] + rng.randint(-90, 90)))
    target = tmp_path / "photo.jpg"
    noisy.save(target, "JPEG", quality=60)
    return target


def qr_image(text: str, path: Path) -> Path:
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="png", scale=5, border=4)
    path.write_bytes(out.getvalue())
    return path


def test_verify_on_a_photo_and_refusals(tmp_path):
    server = make_server(tmp_path, None)
    pdf = tmp_path / "letter.pdf"
    assert run(*letter_args(server, pdf, "--purpose", "print")).exit_code == 0
    key_file = tmp_path / "k.pub"
    run("public-key", "--data", server.data, "--out", key_file)
    photo = photo_of(pdf, tmp_path)
    checked = run("verify", photo, "--key", key_file)
    assert checked.exit_code == 0 and "Name:      Amina Diallo" in checked.output, checked.output

    signing_key = load_or_create_keys(server.data).signing_key
    good = issue_credential(signing_key, uin=server.uin, name="Amina Diallo", issued_at=dt.date(2026, 6, 1))
    signature = good.split(".")[1]
    forged_payload = canonical_json(
        {
            "v": 1,
            "uin": server.uin,
            "name": "Someone Else",
            "issued_at": "2026-06-01",
            "kid": key_id(signing_key),
        }
    )
    forged = f"OR1:{base64.urlsafe_b64encode(forged_payload).rstrip(b'=').decode()}.{signature}"
    refusals = {
        "altered": qr_image(forged, tmp_path / "forged.png"),
        "no QR code found": tmp_path / "blank.png",
        "not an OpenReg UIN credential": qr_image("https://example.org/", tmp_path / "foreign.png"),
        "too long": qr_image("OR1:" + "A" * 2200 + ".AA", tmp_path / "long.png"),
    }
    Image.new("L", (300, 300), 255).save(tmp_path / "blank.png")
    for message, path in refusals.items():
        result = run("verify", path, "--key", key_file)
        assert result.exit_code == 1 and "NOT VALID" in result.output and message in result.output, (
            message,
            result.output,
        )
    stranger = tmp_path / "stranger.pub"
    stranger.write_text(public_key_file_text(generate_private_key().public_key()))
    result = run("verify", pdf, "--key", stranger)
    assert result.exit_code == 1 and "not among the trusted server keys" in result.output
    assert run("verify", pdf).exit_code == 2  # no key given: usage
    bad_key = tmp_path / "bad.pub"
    bad_key.write_text("nonsense\n")
    assert run("verify", pdf, "--key", bad_key).exit_code == 2
