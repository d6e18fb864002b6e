"""The kiosk's one capture port: biometrics, documents, barcode scans, live previews and device status,
over the :class:`device_drivers.DeviceManager` that the composition root builds from ``ClientSettings``.

Maps the workflow's capture groups (two slaps, thumbs, irises, face) to SBI sub-ids and turns each
verified ``CaptureResult`` into a :class:`BiometricCapture`.

Thread rules: every device call runs on that device's own threads (``ManagedDevice``: calls on its
device thread, the live preview on its preview thread); this class starts no threads. ``refresh``, ``status``, ``capture_group``, ``capture_document`` and ``scan_code`` wait for
device threads: call them from a worker (client.ui's Operations), never a UI thread. ``preview_frame``,
``stop_preview``, ``has_document_camera``, ``scan_camera`` and ``device_states`` never block (latest
discovery, newest frame). Document scanners (SANE) are scanned through client.core.document_scan.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture
from device_drivers.base import DeviceInfo, DeviceNotFoundError, DeviceStatus, DeviceTimeoutError, Modality

if TYPE_CHECKING:
    from device_drivers.manager import DeviceManager, ManagedDevice
    from device_drivers.preview import PreviewFeed

GROUP_SUB_IDS = {"left_slap": 1, "right_slap": 2, "thumbs": 3, "irises": 3, "face": 0}
SCAN_CAMERAS = ("document", "face")  # the cameras a barcode is scanned with, in order of preference
CONTENT_TYPES = {"jpeg": "image/jpeg", "jpg": "image/jpeg"}


class NoDevice(LookupError):
    """A device the capture needs is not connected or not working. The message (English, for the log)
    says which; ``device_error`` (``missing``, ``no_decoder``, ``no_scan_camera``, ``camera_failed``,
    ``closed``) and ``modality`` let a front end word it in the officer's language."""

    def __init__(self, message: str, *, device_error: str, modality: str = "") -> None:
        super().__init__(message)
        self.device_error, self.modality = device_error, modality


class DeviceCapture:
    """Capture through the kiosk's devices. ``manager_factory`` builds the manager on first use (on a
    worker), so a kiosk starts without touching or even importing a device driver."""

    def __init__(
        self,
        manager_factory: Callable[[], DeviceManager],
        *,
        capture_timeout_s: float = 30.0,
        device_models: Callable[[], list[dict]] | None = None,
    ) -> None:
        self._factory = manager_factory
        self._device_models = device_models  # master data's allow-list, read at each refresh (a worker)
        self.version = 0  # bumped on every plug, unplug or status change (the device bar redraws then)
        self._manager: DeviceManager | None = None
        self._timeout = capture_timeout_s
        self._lock = threading.Lock()
        self._feeds: dict[str, PreviewFeed] = {}
        self._sub_ids: dict[str, int | None] = {}  # the SBI sub-id each feed streams (None: not SBI)
        self._closed = False
        self.checks: dict[str, dict[str, str]] = {}  # face ICAO-lite checklist of the last capture per group

    # -- discovery and status (blocking) ------------------------------------------------------------
    def refresh(self) -> DeviceManager:
        """Build the manager if needed and run discovery; blocks on the discovery thread."""
        with self._lock:
            if self._closed:
                raise NoDevice("the devices are closed", device_error="closed")
            if self._manager is None:
                self._manager = self._factory()
                self._manager.subscribe(self._changed)
                hotplug = getattr(self._manager, "hotplug", None)
                if hotplug is not None:  # a USB device no driver lists (one not allowed) shows too
                    hotplug.subscribe(self._changed)
            manager = self._manager
        allow_list = getattr(manager, "allow_list", None)
        if self._device_models is not None and allow_list is not None:
            allow_list.replace(self._device_models())
        manager.refresh()
        return manager

    def _changed(self, _event: object) -> None:
        self.version += 1  # discovery thread; readers only compare it

    def status(self) -> dict[str, str]:
        """{modality: status} of the device each modality would use, after a fresh discovery."""
        manager = self.refresh()
        return {m.value: info.status.value for m in Modality if (info := manager.current(m)) is not None}

    def _device(self, modality: str) -> ManagedDevice:
        """The device for ``modality``; discovers first on first use or when the last discovery had none."""
        manager = self._manager
        if manager is None or manager.current(Modality(modality)) is None:
            manager = self.refresh()  # first use, or plugged in since the last discovery
        try:
            return _pick(manager, modality)
        except DeviceNotFoundError:
            reasons = "; ".join(f"{n}: {r}" for n, r in manager.unavailable.items())
            raise NoDevice(
                f"no {modality} device is connected" + (f" ({reasons})" if reasons else ""),
                device_error="missing",
                modality=modality,
            ) from None

    # -- what the screens may ask on the UI thread (never blocks) -------------------------------------
    def _present(self) -> set[str]:
        manager = self._manager
        if manager is None:
            return set()
        return {i.modality.value for i in manager.devices() if not is_scanner(i) and _usable(i)}

    @property
    def has_document_camera(self) -> bool:
        return "document" in self._present()

    @property
    def scan_camera(self) -> str | None:
        """The camera modality barcodes are scanned with (the document camera first), or None."""
        present = self._present()
        if "barcode" not in present:
            return None
        return next((m for m in SCAN_CAMERAS if m in present), None)

    def preview_frame(self, group: str) -> bytes | None:
        """The newest preview frame of a group's (or modality's) device not shown yet, starting its
        preview when needed; None when there is none yet. An SBI device streams the group's sub-id (the
        left slap's, not the whole scanner's): asking for another group of the same device restarts it."""
        modality = CAPTURE_GROUPS[group][0] if group in CAPTURE_GROUPS else group
        feed = self._feed(modality, GROUP_SUB_IDS.get(group, 0))
        if feed is None:
            return None
        feed.start()
        return feed.take_jpeg()

    def stop_preview(self, modality: str) -> None:
        """Stop streaming ``modality`` (its view was hidden); the next preview_frame starts it again."""
        with self._lock:
            feed = self._feeds.pop(modality, None)
        if feed is not None:
            feed.stop()

    def _feed(self, modality: str, sub_id: int = 0) -> PreviewFeed | None:
        with self._lock:
            feed, old = self._feeds.get(modality), None
            if feed is not None and self._sub_ids.get(modality) not in (None, sub_id):
                feed, old = None, self._feeds.pop(modality)  # another slap of the same scanner
            if feed is None and self._manager is not None and not self._closed:
                feed = self._new_feed(modality, sub_id)
        if old is not None:
            old.stop()
        return feed

    def _new_feed(self, modality: str, sub_id: int) -> PreviewFeed | None:
        """A feed for ``modality``'s device (call with the lock held)."""
        from device_drivers.preview import PreviewFeed

        try:
            device = _pick(self._manager, modality)  # type: ignore[arg-type]
        except DeviceNotFoundError:
            return None
        sbi = device.key.startswith("sbi:")
        feed = self._feeds[modality] = PreviewFeed(device, sub_id=sub_id) if sbi else PreviewFeed(device)
        self._sub_ids[modality] = sub_id if sbi else None
        return feed

    def device_states(self) -> list[DeviceState]:
        """Every device of the latest discovery, and plugged USB devices master data does not allow
        (never blocks: for the device bar)."""
        manager = self._manager
        if manager is None:
            return []
        infos = manager.devices()
        states = [
            DeviceState(
                i.key,
                i.modality.value,
                f"{i.identity.make} {i.identity.model}".strip(),
                i.status.value,
                i.detail,
            )
            for i in infos
        ]
        hotplug, allow_list = getattr(manager, "hotplug", None), getattr(manager, "allow_list", None)
        if hotplug is not None and allow_list is not None:
            shown = " ".join(i.detail for i in infos)
            for usb in hotplug.devices():
                if usb.passive or allow_list.usb(usb.vendor_id, usb.product_id) or usb.ids in shown:
                    continue
                name = f"{usb.manufacturer} {usb.product}".strip() or f"USB {usb.ids}"
                detail = f"USB {usb.ids} is not in master data (device_models)"
                states.append(DeviceState(f"usb:{usb.bus}:{usb.address}", "", name, "not allowed", detail))
        for driver, reason in dict(getattr(manager, "unavailable", {})).items():  # e.g. no SANE here
            states.append(DeviceState(f"driver:{driver}", "", "", "unavailable", reason))
        return states

    def device_with_key(self, key: str) -> ManagedDevice:
        """The device ``key`` (a scanner the officer chose); NoDevice when it is gone or not allowed."""
        manager = self._manager or self.refresh()
        try:
            return manager.device_by_key(key)
        except DeviceNotFoundError:
            raise NoDevice(f"{key} is not connected", device_error="missing", modality="document") from None

    def fingers_per_capture(self, group: str) -> int:
        """How many of ``group``'s fingers one capture takes on the device it would use now: the whole
        group on a slap scanner (and before any discovery), 1 on a single-finger reader, for which the
        biometrics page asks finger by finger (each a ``capture_group`` with the group's other fingers
        as exceptions). Never blocks (latest discovery)."""
        modality, subtypes = CAPTURE_GROUPS[group]
        manager = self._manager
        if modality != "finger" or manager is None:
            return len(subtypes)
        try:
            device = manager.device(Modality.FINGER).device
        except DeviceNotFoundError:
            return len(subtypes)
        return max(1, min(len(subtypes), int(getattr(device, "fingers_per_capture", len(subtypes)))))

    # -- capture (blocking: call on a worker) --------------------------------------------------------
    def capture_group(self, group: str, *, exceptions: tuple[str, ...] = ()) -> list[BiometricCapture]:
        """Capture one group; ``exceptions`` are the subtypes marked missing (not captured)."""
        modality, subtypes = CAPTURE_GROUPS[group]
        device = self._device(modality)
        sbi = device.key.startswith("sbi:")
        options: dict[str, object] = {
            "bio_subtypes": [""] if modality == "face" else list(subtypes),  # SBI: face has no subtype
            "exceptions": list(exceptions),
        }
        if sbi:
            options["sub_id"] = GROUP_SUB_IDS[group]
        results = device.capture(**options).result(self._timeout)
        if modality == "face" and results and not sbi:  # a plain camera's face checks (ICAO-lite)
            self.checks[group] = dict(results[0].extra or {})
        return [
            BiometricCapture(
                modality=modality,
                bio_subtype=r.bio_subtype or "Face",
                quality=int(r.quality),
                record=r.iso_record,
                format=str(r.image_format),
                device=r.identity.as_dict(),
            )
            for r in results
            if not r.exception and r.bio_subtype not in exceptions
        ]

    def capture_document(self) -> tuple[bytes, str]:
        """(encoded image, content type) from the document camera. While its preview runs the document
        is the newest preview frame (what the officer sees); otherwise the camera takes a single shot."""
        device = self._device("document")
        with self._lock:
            feed = self._feeds.get("document")
        frame = feed.newest() if feed is not None else None
        result = device.capture_document(frame.image if frame is not None else None).result(self._timeout)
        kind = str(result.image_format).lower()
        return result.iso_record, CONTENT_TYPES.get(kind, f"image/{kind}")

    def scan_code(self, *, timeout_s: float = 20.0, cancel: threading.Event | None = None) -> str:
        """The text of the first barcode/QR code the scan camera sees (the reader decodes that camera's
        newest preview frames on its own thread). Raises LookupError without a camera or decoder, and the
        reader's timeout/cancel errors."""
        if self._manager is None:
            self.refresh()
        modality = self.scan_camera
        feed = self._feed(modality) if modality is not None else None
        if feed is None:
            decoder = "barcode" in self._present()
            raise NoDevice(
                f"No {'camera' if decoder else 'barcode decoder'} is available to scan with. "
                "Type the number, or use a hand-held scanner.",
                device_error="no_scan_camera" if decoder else "no_decoder",
            )
        cancel = cancel or threading.Event()
        try:
            result = (
                self._device("barcode")
                .scan(feed.frames(stop=cancel.is_set), timeout_s=timeout_s, cancelled=cancel.is_set)
                .result()
            )
        except DeviceTimeoutError as exc:
            if feed.newest() is None and feed.error:  # not a single picture: say why
                raise NoDevice(
                    f"The camera is not working: {feed.error}",
                    device_error="camera_failed",
                    modality=modality,
                ) from exc
            raise
        return result.text.strip()

    def close(self) -> None:
        """Stop the previews and release the devices (a webcam stays busy for other programs otherwise)."""
        with self._lock:
            self._closed = True
            feeds, self._feeds = list(self._feeds.values()), {}
            manager, self._manager = self._manager, None
        for feed in feeds:
            feed.stop()
        if manager is not None:
            manager.close()


@dataclass(frozen=True)
class DeviceState:
    """One line of the device bar: key, modality ("" for a USB device not allowed), name, status, detail."""

    key: str
    modality: str
    name: str
    status: str
    detail: str = ""


def is_scanner(info: DeviceInfo) -> bool:
    """A document scanner (SANE): scanned through client.core.document_scan, never used as a camera."""
    return info.key.startswith("sane:")


def _usable(info: DeviceInfo) -> bool:
    return info.status != DeviceStatus.NOT_ALLOWED


def _pick(manager: DeviceManager, modality: str) -> ManagedDevice:
    """The device for ``modality``; for "document" the camera (a scanner has no live picture)."""
    if modality != "document":
        return manager.device(Modality(modality))
    cameras = [i for i in manager.devices() if i.modality == Modality.DOCUMENT and not is_scanner(i)]
    cameras = [i for i in cameras if _usable(i)]
    if not cameras:
        raise DeviceNotFoundError("No document camera is connected.")
    return manager.device_by_key(min(cameras, key=lambda i: i.status != DeviceStatus.READY).key)
