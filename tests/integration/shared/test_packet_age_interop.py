"""Our packets are standard age files: Debian's `age` opens them, and we open what `age` encrypts."""

import io
import json
import shutil
import subprocess
import zipfile

import pytest

from shared.packet import decrypt_packet, open_packet, seal_packet
from tests.unit.shared.packet.conftest import Keys, make_contents

AGE = shutil.which("age")
pytestmark = pytest.mark.skipif(
    AGE is None, reason="the `age` tool is not installed (installers/system-deps.sh)"
)


def test_age_cli_decrypts_our_packet_into_a_valid_zip(tmp_path):
    keys = Keys(tmp_path)
    contents = make_contents()
    sealed = seal_packet(
        contents, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path / "out"
    )
    plain = subprocess.run(
        [AGE, "--decrypt", "-i", str(keys.identity_file), str(sealed.path)], capture_output=True, check=True
    ).stdout
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[:4] == ["id.json", "meta.json", "exceptions.json", "audit.json"]
        assert names[-2:] == ["manifest.json", "manifest.sig"]
        assert json.loads(archive.read("id.json")) == contents.demographics
        manifest = json.loads(archive.read("manifest.json"))
        assert set(manifest["entries"]) == set(names) - {"manifest.json", "manifest.sig"}


def test_our_decryption_layer_reads_a_file_age_encrypted(tmp_path):
    keys = Keys(tmp_path)
    payload = b"plain bytes from the age tool\n" * 1000
    source = tmp_path / "in.bin"
    source.write_bytes(payload)
    target = tmp_path / "from-age.age"
    subprocess.run([AGE, "-r", keys.recipient, "-o", str(target), str(source)], check=True)
    assert decrypt_packet(target, identities=keys.identities) == payload


def test_packet_encrypted_by_age_cli_opens_with_our_reader(tmp_path):
    """A container re-encrypted by the age tool (e.g. after escrow recovery) still verifies."""
    keys = Keys(tmp_path)
    sealed = seal_packet(
        make_contents(), machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path / "o"
    )
    plain = tmp_path / "inner.zip"
    plain.write_bytes(decrypt_packet(sealed.path, identities=keys.identities))
    again = tmp_path / "again.age"
    subprocess.run([AGE, "-r", keys.recipient, "-o", str(again), str(plain)], check=True)
    opened = open_packet(again, identities=keys.identities, machine_public_key=keys.machine_public)
    assert opened.contents.meta["rid"] == sealed.rid
