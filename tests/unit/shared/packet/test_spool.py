"""shared.packet.spool on its own: a spooled payload reads back whole and stays sealed on disk, and a
lazy record is its dataclass in every way but where ``data`` comes from."""

import dataclasses

import pytest

from shared.packet.spool import Payload, Spool, lazy, payload_of


def record_class() -> type:
    """A new dataclass per test: ``lazy`` keeps the subclass it makes per class for the process, and a
    class made in an earlier test (or by the test runner's parent process) would hide a change to how
    it is made."""

    @dataclasses.dataclass(frozen=True)
    class Record:
        """A captured thing."""

        name: str
        data: bytes
        quality: int = 0

    return Record


def test_spooled_chunks_read_back_in_order_and_are_sealed_on_disk(tmp_path):
    spool = Spool(tmp_path)
    first, second = spool.write(b"A" * 1000), spool.write(b"secret demographics")
    assert first[:1] == (0,) and first[2] == 0 and second[0] == first[1] and second[2] == 1
    assert Payload(spool=spool, spans=[first, second]).read() == b"A" * 1000 + b"secret demographics"
    assert Payload(spool=spool, spans=[second]).read() == b"secret demographics"
    spool._file.seek(0)
    assert b"secret demographics" not in spool._file.read()  # AES-GCM, key in this process only
    assert Payload(spool=spool, spans=[first]).spooled and not Payload(data=b"x").spooled
    assert Payload().read() == b"" and Payload(data=b"in memory").read() == b"in memory"


def test_a_lazy_record_reads_its_data_from_its_payload_and_equals_a_plain_one(tmp_path):
    Record = record_class()
    spool = Spool(tmp_path)
    payload = Payload(spool=spool, spans=[spool.write(b"ISO19794")])
    Lazy = lazy(Record)
    record = Lazy(payload, name="Left Thumb", quality=80)
    assert lazy(Record) is Lazy and isinstance(record, Record) and Lazy.__name__ == "Record"
    assert Lazy.__doc__ == Record.__doc__
    assert (record.name, record.data, record.quality) == ("Left Thumb", b"ISO19794", 80)
    assert record == Record("Left Thumb", b"ISO19794", 80)
    assert record != Record("Left Thumb", b"ISO19795", 80) and record != Record(
        "Right Thumb", b"ISO19794", 80
    )
    assert record != Record("Left Thumb", b"ISO19794", 79)
    assert record.__eq__("Left Thumb") is NotImplemented
    with pytest.raises(TypeError):
        hash(record)  # as the dataclass it stands for (eq without frozen hash of a payload)
    assert payload_of(record) is payload and payload_of(Record("x", b"")) is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.name = "other"


def test_replacing_a_field_of_a_lazy_record_keeps_it_lazy_with_the_given_data():
    Record = record_class()
    record = lazy(Record)(Payload(data=b"first"), name="a")
    replaced = dataclasses.replace(record, name="b")
    assert (replaced.name, replaced.data, replaced.quality) == ("b", b"first", 0)
    assert payload_of(replaced) is not None
    again = dataclasses.replace(record, data=b"second")
    assert again.data == b"second" and again.name == "a"
