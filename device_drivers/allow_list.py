"""Which devices master data allows (entity ``device_models``), shared by the USB, SANE and hot-plug code.

A row allows a USB device by its ids, ``{"id", "modality", "make", "model", "vendor_id", "product_id"}``
(ids in hex as ``lsusb`` prints them: "04a9", "0x04a9", or a number), or a scanner that has no USB ids
(network, virtual) by its SANE device name, ``"sane_device": "airscan:*"`` (a shell-style pattern),
or a libfprint reader by its libfprint driver, ``"fprint_driver": "goodixmoc"`` (a pattern too: libfprint
names a reader's driver, never its USB ids).
The list is replaced whole when master data changes (:meth:`AllowList.replace`, any thread); a row
that cannot be read is skipped and reported, never allowed.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from device_drivers.base import Modality

MAX_ROWS = 1000
_HEX_ID = re.compile(r"^(?:0x)?([0-9a-f]{1,4})$")


def parse_usb_id(value: Any) -> int:
    """A USB vendor or product id from master data: hex text ("04a9", "0x04A9") or a number."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFF:
        return value
    if isinstance(value, str) and (match := _HEX_ID.match(value.strip().lower())):
        return int(match.group(1), 16)
    raise ValueError(f"{value!r} is not a USB id (hex such as 04a9, or a number up to 65535)")


@dataclass(frozen=True)
class AllowedDevice:
    """One allowed model; ``vendor_id``/``product_id`` None for a ``sane_device`` or ``fprint_driver``
    pattern row."""

    id: str
    modality: Modality
    make: str
    model: str
    vendor_id: int | None = None
    product_id: int | None = None
    sane_device: str = ""
    fprint_driver: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AllowedDevice:
        modality = Modality(str(row["modality"]).lower())
        pattern = str(row.get("sane_device") or "")[:200]
        driver = str(row.get("fprint_driver") or "")[:100]
        has_ids = row.get("vendor_id") is not None or row.get("product_id") is not None
        if not has_ids and not pattern and not driver:
            raise ValueError("needs vendor_id and product_id, sane_device or fprint_driver")
        return cls(
            id=str(row["id"])[:100],
            modality=modality,
            make=str(row.get("make", ""))[:100],
            model=str(row.get("model", ""))[:100],
            vendor_id=parse_usb_id(row["vendor_id"]) if has_ids else None,
            product_id=parse_usb_id(row["product_id"]) if has_ids else None,
            sane_device=pattern,
            fprint_driver=driver,
        )


class AllowList:
    """The allowed models now; every lookup reads the latest list (thread-safe)."""

    def __init__(self, rows: Iterable[dict[str, Any]] = ()) -> None:
        self._lock = threading.Lock()
        self._models: tuple[AllowedDevice, ...] = ()
        self.problems: list[str] = []
        self.replace(rows)

    def replace(self, rows: Iterable[dict[str, Any]]) -> list[str]:
        """Take the master-data rows (all of them, this replaces the list); returns what was skipped."""
        models, problems = [], []
        for index, row in enumerate(rows):
            if index >= MAX_ROWS:
                problems.append(f"more than {MAX_ROWS} device models: the rest are ignored")
                break
            try:
                models.append(AllowedDevice.from_row(row))
            except (KeyError, ValueError, TypeError) as exc:
                name = row.get("id", index) if isinstance(row, dict) else index
                problems.append(f"device model {name}: {exc}")
        with self._lock:
            self._models, self.problems = tuple(models), problems
        return problems

    def models(self) -> tuple[AllowedDevice, ...]:
        with self._lock:
            return self._models

    def usb(self, vendor_id: int, product_id: int) -> AllowedDevice | None:
        """The model allowing this USB device, or None."""
        return next(
            (m for m in self.models() if (m.vendor_id, m.product_id) == (vendor_id, product_id)), None
        )

    def scanner(self, sane_name: str, usb_ids: tuple[int, int] | None) -> AllowedDevice | None:
        """The document model allowing a SANE scanner: by its USB ids when known, else its name."""
        for model in self.models():
            if model.modality != Modality.DOCUMENT:
                continue
            if usb_ids is not None and (model.vendor_id, model.product_id) == usb_ids:
                return model
            if model.sane_device and fnmatch.fnmatchcase(sane_name, model.sane_device):
                return model
        return None

    def fingerprint_reader(self, driver: str) -> AllowedDevice | None:
        """The finger model allowing a libfprint reader by its driver name, or None."""
        return next(
            (
                m
                for m in self.models()
                if m.modality == Modality.FINGER
                and m.fprint_driver
                and fnmatch.fnmatchcase(driver, m.fprint_driver)
            ),
            None,
        )
