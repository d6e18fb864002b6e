"""CBEFF (ISO/IEC 19785-3 XML patron format, as MOSIP packets use it) wrapping of ISO records.

One ``<BIR>`` holds a list of child BIRs, each with ``<BDBInfo>`` (format owner/type, creation date,
type, subtype, quality) and the base64 ISO record in ``<BDB>``. Parsing uses the stdlib ElementTree on a
bounded input (50 MB, 100 BIRs) and refuses DOCTYPE and entity declarations outright. Reading is strict:
every malformed element (missing type, a BDB that is not base64, a quality that is not a whole number
0-100, an unreadable creation date, an empty BDB not marked as an exception) raises IsoRecordError; the
ISO records inside are read separately (``read_iso_record``).
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime

from device_drivers.iso.common import IsoRecordError

NS = "http://standards.iso.org/iso-iec/19785/-3/ed-2/"
# Format type codes registered by MOSIP under format owner 257 (0x0101).
FORMAT_TYPES = {"Finger": 7, "Iris": 9, "Face": 8}
MAX_XML_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 100  # ten fingers, two irises, a face and an exception photo fit many times over
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")


@dataclass(frozen=True)
class CbeffEntry:
    bio_type: str  # Finger | Iris | Face | ExceptionPhoto
    bio_subtype: str  # e.g. "Left IndexFinger", "Left", ""
    quality: int
    iso_record: bytes
    created: str
    exception: bool = False


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def write_cbeff(entries: list[CbeffEntry]) -> bytes:
    """One document holding ``entries``; refuses what the reader would (a quality outside 0-100, an empty
    record not marked as an exception)."""
    for e in entries:
        if isinstance(e.quality, bool) or not isinstance(e.quality, int) or not 0 <= e.quality <= 100:
            raise IsoRecordError(f"CBEFF quality of {e.bio_type} {e.bio_subtype} is {e.quality!r}, not 0-100")
        if not e.iso_record and not e.exception:
            raise IsoRecordError(
                f"CBEFF entry {e.bio_type} {e.bio_subtype} has no record and is no exception"
            )
    ET.register_namespace("", NS)
    root = ET.Element(_q("BIR"))
    info = ET.SubElement(root, _q("BIRInfo"))
    ET.SubElement(info, _q("Integrity")).text = "false"
    for e in entries:
        bir = ET.SubElement(root, _q("BIR"))
        ET.SubElement(bir, _q("Version")).text = "1.1"
        ET.SubElement(ET.SubElement(bir, _q("BIRInfo")), _q("Integrity")).text = "false"
        bdb_info = ET.SubElement(bir, _q("BDBInfo"))
        fmt = ET.SubElement(bdb_info, _q("Format"))
        ET.SubElement(fmt, _q("Organization")).text = "257"
        ET.SubElement(fmt, _q("Type")).text = str(FORMAT_TYPES.get(e.bio_type, 8))
        ET.SubElement(bdb_info, _q("CreationDate")).text = e.created
        ET.SubElement(bdb_info, _q("Type")).text = e.bio_type
        ET.SubElement(bdb_info, _q("Subtype")).text = e.bio_subtype
        ET.SubElement(bdb_info, _q("Level")).text = "Raw"
        ET.SubElement(bdb_info, _q("Purpose")).text = "Enroll"
        quality = ET.SubElement(bdb_info, _q("Quality"))
        ET.SubElement(quality, _q("Score")).text = str(e.quality)
        ET.SubElement(bir, _q("BDB")).text = base64.urlsafe_b64encode(e.iso_record).decode().rstrip("=")
        others = ET.SubElement(bir, _q("others"))
        ET.SubElement(others, _q("entry"), key="EXCEPTION").text = "true" if e.exception else "false"
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def read_cbeff(xml: bytes) -> list[CbeffEntry]:
    """Every child BIR of a CBEFF document; raises IsoRecordError naming the BIR and element at fault."""
    if len(xml) > MAX_XML_BYTES:
        raise IsoRecordError("CBEFF document is larger than the 50 MB limit")
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise IsoRecordError("CBEFF document has a DOCTYPE or entity declaration, which CBEFF never needs")
    try:
        root = ET.fromstring(xml)
    except (ET.ParseError, LookupError, ValueError) as exc:  # LookupError: an unknown declared encoding
        raise IsoRecordError(f"CBEFF document is not well-formed XML: {exc}") from exc
    if root.tag != _q("BIR"):
        raise IsoRecordError(f"CBEFF root element is {root.tag}, expected BIR")
    birs = root.findall(_q("BIR"))
    if len(birs) > MAX_ENTRIES:
        raise IsoRecordError(f"CBEFF document has {len(birs)} BIRs, more than the {MAX_ENTRIES} allowed")
    return [_read_bir(bir, index) for index, bir in enumerate(birs)]


def _read_bir(bir: ET.Element, index: int) -> CbeffEntry:
    info = bir.find(_q("BDBInfo"))
    if info is None:
        raise IsoRecordError(f"CBEFF BIR {index} lacks BDBInfo")
    bio_type = (info.findtext(_q("Type")) or "").strip()
    subtype = (info.findtext(_q("Subtype")) or "").strip()
    where = f"CBEFF BIR {index} ({' '.join(filter(None, (bio_type, subtype)))})"
    if not bio_type:
        raise IsoRecordError(f"CBEFF BIR {index} has no BDBInfo Type")
    exception = _exception_flag(bir, where)
    bdb = bir.find(_q("BDB"))
    record = _bdb_bytes("" if bdb is None else (bdb.text or ""), where)
    if not record and not exception:  # empty only for a biometric exception (missing finger or eye)
        raise IsoRecordError(f"{where} has no BDB but is not marked as an exception")
    return CbeffEntry(
        bio_type=bio_type,
        bio_subtype=subtype,
        quality=_quality(info.findtext(f"{_q('Quality')}/{_q('Score')}"), where),
        iso_record=record,
        created=_creation_date(info.findtext(_q("CreationDate")), where),
        exception=exception,
    )


def _exception_flag(bir: ET.Element, where: str) -> bool:
    flags = [(e.text or "").strip().lower() for e in bir.iter(_q("entry")) if e.get("key") == "EXCEPTION"]
    if any(flag not in ("true", "false") for flag in flags):
        raise IsoRecordError(f"{where} has an EXCEPTION entry that is neither true nor false")
    return "true" in flags


def _bdb_bytes(text: str, where: str) -> bytes:
    """The BDB's base64 (MOSIP writes the URL-safe alphabet without padding; the standard one is read too,
    and line breaks are ignored); anything else is refused, never silently dropped."""
    compact = "".join(text.split())
    if not _BASE64.fullmatch(compact) or len(compact.rstrip("=")) % 4 == 1:
        raise IsoRecordError(f"{where} has a BDB that is not base64")
    standard = compact.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except ValueError as exc:
        raise IsoRecordError(f"{where} has a BDB that is not base64") from exc


def _quality(text: str | None, where: str) -> int:
    if text is None:  # no Quality/Score at all: not assessed
        return 0
    score = text.strip()
    if not score.isdigit() or not score.isascii() or int(score) > 100:
        raise IsoRecordError(f"{where} has quality score {score[:20]!r}, not a whole number 0-100")
    return int(score)


def _creation_date(text: str | None, where: str) -> str:
    created = (text or "").strip()
    if created:
        try:
            datetime.fromisoformat(created)
        except ValueError as exc:
            raise IsoRecordError(f"{where} has creation date {created[:40]!r}, not an ISO 8601 time") from exc
    return created
