"""Child process for the crash test: says it is ready, then seals packets in a loop until it is killed."""

import os
import sys
from pathlib import Path

from shared.packet import BiometricRecord, PacketContents, seal_packet
from shared.signing import private_key_from_bytes
from tests.unit.shared.packet.conftest import make_contents


def main() -> None:
    out_dir, recipient, key_hex, start = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    machine = private_key_from_bytes(bytes.fromhex(key_hex))
    big = BiometricRecord("face", "Face", "ISO19794-5", 90, {}, os.urandom(2 * 1024 * 1024))
    print("ready", flush=True)  # imports done: the parent's random kill delay starts now
    for sequence in range(start, start + 1000):
        base = make_contents(sequence)
        contents = PacketContents(demographics=base.demographics, meta=base.meta, biometrics=[big])
        seal_packet(contents, machine_key=machine, recipients=[recipient], out_dir=out_dir)
        print(sequence, flush=True)


if __name__ == "__main__":
    main()
