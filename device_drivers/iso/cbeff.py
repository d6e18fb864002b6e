"""CBEFF (ISO/IEC 19785-3 XML patron format, as MOSIP packets use it) wrapping of ISO records.

One ``<BIR>`` holds a list of child BIRs, each with ``<BDBInfo>`` (format owner/type, creation date,
type, subtype, quality) and the base64 ISO record in ``<BDB>``. Parsing uses the stdlib ElementTree on
trusted sizes only: the caller bounds the input size; entity expansion is not enabled by ElementTree.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from device_drivers.iso.common import IsoRecordError

NS = "http://standards.iso.org/iso-iec/19785/-3/ed-2/"
# Format type codes registered by MOSIP under format owner 257 (0x0101).
FORMAT_TYPES = {"Finger": 7, "Iris": 9, "Face": 8}
MAX_XML_BYTES = 50 * 1024 * 1024


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
    if len(xml) > MAX_XML_BYTES:
        raise IsoRecordError("CBEFF document is larger than the 50 MB limit")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise IsoRecordError(f"CBEFF document is not well-formed XML: {exc}") from exc
    if root.tag != _q("BIR"):
        raise IsoRecordError(f"CBEFF root element is {root.tag}, expected BIR")
    entries = []
    for bir in root.findall(_q("BIR")):
        info = bir.find(_q("BDBInfo"))
        bdb = bir.find(_q("BDB"))
        if info is None or bdb is None:
            raise IsoRecordError("CBEFF BIR lacks BDBInfo or BDB")
        text = (bdb.text or "").strip()  # empty for a biometric exception (missing finger/eye)
        try:
            record = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except ValueError as exc:
            raise IsoRecordError("CBEFF BDB is not base64") from exc
        exception = any(
            e.get("key") == "EXCEPTION" and (e.text or "").lower() == "true" for e in bir.iter(_q("entry"))
        )
        entries.append(
            CbeffEntry(
                bio_type=info.findtext(_q("Type"), ""),
                bio_subtype=info.findtext(_q("Subtype"), ""),
                quality=int(info.findtext(f"{_q('Quality')}/{_q('Score')}", "0")),
                iso_record=record,
                created=info.findtext(_q("CreationDate"), ""),
                exception=exception,
            )
        )
    return entries
