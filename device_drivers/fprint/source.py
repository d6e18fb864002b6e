"""libfprint readers as a :class:`device_drivers.manager.DeviceSource`: listed by the libfprint host,
kept as one :class:`FprintReader` per reader across refreshes.

Hot-plug: libfprint notices its own USB readers come and go (GUsb, on the host's loop); besides, when
the kiosk's USB monitor (device_drivers.hotplug) reports a USB device plugged in, the next discovery
asks the host to re-enumerate from a fresh context (unless a capture runs). Either way a reader
plugged in appears, and one pulled out disappears, at the discovery the monitor's event triggers. An unplug during a capture fails that
capture with DeviceDisconnectedError (the host reports libfprint's FP_DEVICE_ERROR_REMOVED).

Only readers whose libfprint driver master data allows (``device_models`` rows with ``fprint_driver``,
see device_drivers.allow_list) are offered; any other is listed with status "not allowed" and no device
object, for the administrator to see.

Where libfprint cannot run (not Linux, no PyGObject, no libfprint typelib) the source raises
DeviceUnavailableError: the manager lists the reason under ``unavailable["fprint"]`` and every
other driver keeps working.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from collections.abc import Mapping

from device_drivers.allow_list import AllowList
from device_drivers.base import (
    DeviceError,
    DeviceIdentity,
    DeviceInfo,
    DeviceStatus,
    DeviceUnavailableError,
    Modality,
)
from device_drivers.fprint.adapter import FprintReader, listed_devices
from device_drivers.fprint.host_client import FprintHost
from device_drivers.hotplug import HotplugMonitor, UsbChange

log = logging.getLogger(__name__)
LIST_TIMEOUT_S = 15.0  # a re-enumeration probes every USB reader


def unavailable_reason() -> str | None:
    """Why libfprint cannot be used here, found without importing it; None when it may be."""
    if not sys.platform.startswith("linux"):
        return f"libfprint is not available on this system (it needs Linux; this is {sys.platform})"
    if importlib.util.find_spec("gi") is None:
        return "libfprint is not available on this system (PyGObject is not installed: openreg[fprint])"
    return None


class FprintSource:
    """``discover()`` lists libfprint readers (blocking on the host; answered at once even while a
    capture runs)."""

    name = "fprint"

    def __init__(
        self,
        *,
        allow_list: AllowList,
        host: FprintHost | None = None,
        env: Mapping[str, str] | None = None,
        hotplug: HotplugMonitor | None = None,
    ) -> None:
        reason = unavailable_reason() if host is None else None
        if reason is not None:
            raise DeviceUnavailableError(reason)
        self.host = host or FprintHost(env=env)
        self.allow_list = allow_list
        self._readers: dict[str, FprintReader] = {}
        self._usb_changed = threading.Event()
        if hotplug is not None:
            hotplug.subscribe(self._on_usb_change)

    def _on_usb_change(self, change: UsbChange) -> None:
        """Monitor thread: after a USB device arrived the next discovery re-enumerates. A departure
        needs no new context: libfprint drops a reader that left by itself (and fails its capture)."""
        if change.action == "add":
            self._usb_changed.set()

    def discover(self) -> list[tuple[DeviceInfo, object | None]]:
        rescan = self._usb_changed.is_set()
        self._usb_changed.clear()
        try:
            header, _ = self.host.request("rescan" if rescan else "list", timeout_s=LIST_TIMEOUT_S)
        except DeviceUnavailableError:
            raise  # the manager switches this driver off and says why
        except DeviceError as exc:  # the host died or hung: no reader now; the next discovery retries
            log.warning("libfprint readers not listed: %s", exc)
            if rescan:
                self._usb_changed.set()
            self._readers = {}
            return []
        found: list[tuple[DeviceInfo, object | None]] = []
        current: dict[str, FprintReader] = {}
        for description in listed_devices(header):
            if self.allow_list.fingerprint_reader(str(description.get("driver", ""))) is None:
                found.append((_not_allowed(description), None))
                continue
            reader = self._readers.get(description["key"])
            if reader is None:
                reader = FprintReader(self.host, description)
            reader.description = description
            current[description["key"]] = reader
            found.append((reader.device_info(), reader))
        self._readers = current
        return found

    def close(self) -> None:
        """Let the readers go and stop the host (after the manager closed the device threads)."""
        self.host.stop()


def _not_allowed(description: dict) -> DeviceInfo:
    driver = str(description.get("driver", ""))
    identity = DeviceIdentity(make="libfprint", model=str(description.get("name") or driver), serial="")
    return DeviceInfo(
        f"fprint:{description['key']}",
        Modality.FINGER,
        identity,
        DeviceStatus.NOT_ALLOWED,
        detail=f"libfprint driver {driver} is not in master data (device_models)",
    )
