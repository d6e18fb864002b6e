from click.testing import CliRunner

from shared.packet import seal_packet
from shared.packet.cli import packet
from tests.unit.shared.packet.conftest import make_contents


def test_verify_and_inspect_a_packet_then_refuse_a_damaged_one(keys, tmp_path):
    sealed = seal_packet(
        make_contents(), machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path / "o"
    )
    args = [str(sealed.path), "-i", str(keys.identity_file), "--machine-key", keys.machine_public]
    runner = CliRunner()
    ok = runner.invoke(packet, ["verify", *args])
    assert ok.exit_code == 0 and f"OK — RID {sealed.rid}" in ok.output
    shown = runner.invoke(packet, ["inspect", *args])
    assert shown.exit_code == 0 and "finger/Left Thumb: q87" in shown.output and "exception" in shown.output
    alone = runner.invoke(packet, ["inspect", str(sealed.path), "-i", str(keys.identity_file)])
    assert (
        alone.exit_code == 0 and sealed.rid in alone.output and "not an enrolled machine key" in alone.output
    )
    data = bytearray(sealed.path.read_bytes())
    data[-5] ^= 1
    sealed.path.write_bytes(bytes(data))
    bad = runner.invoke(packet, ["verify", *args])
    assert bad.exit_code == 1 and "REFUSED" in bad.output


def test_keygen_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    first = runner.invoke(packet, ["keygen", str(tmp_path / "id.txt")])
    assert first.exit_code == 0 and first.output.startswith("age1")
    again = runner.invoke(packet, ["keygen", str(tmp_path / "id.txt")])
    assert again.exit_code == 1 and "refusing" in again.output
