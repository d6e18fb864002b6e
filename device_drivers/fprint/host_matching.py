"""The libfprint host's enrolment and matching (officers' own prints): ``enroll``, ``verify`` and
``identify`` requests, driven on the host's GLib loop like a capture (device_drivers.fprint.host).

- ``enroll`` (``device``, ``finger`` a ``FPrint.Finger`` name, ``username``, ``timeout_ms`` per touch,
  ``total_ms``): libfprint's own enrolment (as many touches as the reader's ``nr_enroll_stages``); an
  ``enroll_progress`` event after each touch (``done``, ``stages``, ``retry``); the answer carries the
  serialized ``FpPrint`` as payload.
- ``verify`` (``device``, ``timeout_ms``; payload: one serialized print): ``matched`` true or false.
- ``identify`` (``device``, ``timeout_ms``, ``sizes``; payload: the serialized prints one after the
  other): ``index`` of the print the finger matches, or null.

Runs on the host's loop thread only (every function here is called from ``Host.dispatch`` or a
libfprint callback).
"""

from __future__ import annotations

from typing import Any

OPS = ("enroll", "verify", "identify")
FINGERS = frozenset(
    f"{side}_{name}" for side in ("LEFT", "RIGHT") for name in ("THUMB", "INDEX", "MIDDLE", "RING", "LITTLE")
)
MAX_TOTAL_MS = 600_000
MAX_PRINTS = 500
MAX_PRINT_BYTES = 256 * 1024


def start(host: Any, request_id: int, op: str, header: dict, payload: bytes) -> None:
    """Check the request, then begin the operation on its reader (the host answers in every case)."""
    key = str(header.get("device", ""))
    device = host.devices.get(key)
    flags = host.FPrint.DeviceFeature
    if device is not None:
        needed = flags.IDENTIFY if op == "identify" else flags.VERIFY
        if not device.get_features() & needed:
            return host.fail(request_id, "no_verify", f"{device.get_name()} cannot {op} fingerprints")
    if op == "enroll":
        finger, total = header.get("finger"), header.get("total_ms")
        if finger not in FINGERS:
            return host.fail(request_id, "failed", f"unknown finger {finger!r}")
        if not isinstance(total, int) or not 1000 <= total <= MAX_TOTAL_MS:
            return host.fail(request_id, "failed", f"enrolment time {total!r} out of range")
        username = str(header.get("username", ""))[:100]

        def run(device: Any, capture: Any) -> None:
            _enroll(host, device, capture, finger=str(finger), username=username, total_ms=int(total))

    else:
        try:
            prints = _prints(host, header, payload, many=op == "identify")
        except ValueError as exc:
            return host.fail(request_id, "bad_template", str(exc))

        def run(device: Any, capture: Any) -> None:
            if op == "verify":
                _verify(host, device, capture, prints[0])
            else:
                _identify(host, device, capture, prints)

    host.begin(request_id, key, header.get("timeout_ms"), run)


def _prints(host: Any, header: dict, payload: bytes, *, many: bool) -> list[Any]:
    """The serialized prints of the payload as FpPrint objects; ValueError when they do not add up."""
    sizes = header.get("sizes") if many else [len(payload)]
    if not isinstance(sizes, list) or not 1 <= len(sizes) <= MAX_PRINTS:
        raise ValueError(f"between 1 and {MAX_PRINTS} prints are needed")
    if not all(isinstance(n, int) and 1 <= n <= MAX_PRINT_BYTES for n in sizes) or sum(sizes) != len(payload):
        raise ValueError("the print sizes do not match the payload")
    prints, offset = [], 0
    for size in sizes:
        try:
            prints.append(host.FPrint.Print.deserialize(payload[offset : offset + size]))
        except host.GLib.Error as exc:
            raise ValueError(f"print {len(prints)} cannot be read: {exc.message}") from None
        offset += size
    return prints


def _enroll(host: Any, device: Any, capture: Any, *, finger: str, username: str, total_ms: int) -> None:
    template = host.FPrint.Print.new(device)
    template.set_finger(getattr(host.FPrint.Finger, finger))
    template.set_username(username)
    template.set_description("OpenReg operator")
    stages = int(device.get_nr_enroll_stages())
    capture.deadline = host.GLib.timeout_add(total_ms, _deadline, capture)

    def progress(_device: Any, done: int, _print: Any, *rest: Any) -> None:
        error = next((r for r in rest if isinstance(r, host.GLib.Error)), None)
        retry = host.error_kind(error, capture) if error is not None else ""  # a retry: a bad touch
        host.restart_timer(capture)  # each touch gets the whole per-touch time
        host.writer.send(
            {
                "event": "enroll_progress",
                "device": capture.key,
                "request": capture.request_id,
                "done": int(done),
                "stages": stages,
                "retry": retry,
            }
        )

    def finished(device: Any, result: Any, _data: Any = None) -> None:
        _end(host, device, capture)
        try:
            enrolled = device.enroll_finish(result)
        except host.GLib.Error as exc:
            return host.fail(capture.request_id, host.error_kind(exc, capture), str(exc.message))
        host.answer(
            capture.request_id,
            bytes(enrolled.serialize()),
            stages=stages,
            driver=str(device.get_driver())[:100],
            device_id=str(device.get_device_id())[:100],
        )

    # keywords: positionally PyGObject takes the last argument as the progress callback's data
    device.enroll(template, capture.cancellable, progress_cb=progress, callback=finished, user_data=None)


def _verify(host: Any, device: Any, capture: Any, enrolled: Any) -> None:
    def finished(device: Any, result: Any, _data: Any = None) -> None:
        _end(host, device, capture)
        try:
            matched, _print = device.verify_finish(result)
        except host.GLib.Error as exc:
            return host.fail(capture.request_id, host.error_kind(exc, capture), str(exc.message))
        host.answer(capture.request_id, matched=bool(matched))

    device.verify(enrolled, capture.cancellable, match_cb=None, callback=finished, user_data=None)


def _identify(host: Any, device: Any, capture: Any, gallery: list[Any]) -> None:
    def finished(device: Any, result: Any, _data: Any = None) -> None:
        _end(host, device, capture)
        try:
            match, _print = device.identify_finish(result)
        except host.GLib.Error as exc:
            return host.fail(capture.request_id, host.error_kind(exc, capture), str(exc.message))
        index = next((i for i, p in enumerate(gallery) if match is not None and p.equal(match)), None)
        host.answer(capture.request_id, index=index)

    device.identify(gallery, capture.cancellable, match_cb=None, callback=finished, user_data=None)


def _end(host: Any, device: Any, capture: Any) -> None:
    if capture.deadline:
        host.GLib.source_remove(capture.deadline)
        capture.deadline = 0
    host.end(device, capture)


def _deadline(capture: Any) -> bool:
    """The whole enrolment took too long (touches kept failing): it ends as timed out."""
    capture.deadline, capture.timed_out = 0, True
    capture.cancellable.cancel()
    return False
