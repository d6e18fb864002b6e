"""Plain USB fingerprint readers through libfprint 2 (GObject introspection), behind ``FingerDevice``.

- ``source.FprintSource``: the DeviceManager source (``build_device_manager(fingerprint_readers=True)``);
  DeviceUnavailableError ("not available on this system") where libfprint or PyGObject is missing.
- ``adapter.FprintReader``: one reader; ``capture`` gives one finger's ISO/IEC 19794-4 record
  (``fingers_per_capture = 1``), ``errors.NoImageError`` for match-on-chip readers.
- ``matching.FprintMatching`` (through ``FprintReader``'s ``enrol``, ``verify``, ``identify``): the
  reader as a ``device_drivers.finger_match.FingerMatcher``, for officers' own prints (sign-in,
  supervisor approval); the host side is ``host_matching``.
- ``host`` / ``host_client``: libfprint runs in a child process of its own.

Thread rule: libfprint's GLib main loop and its asynchronous API are driven on the host process's one
thread, which owns GLib's default main context (in the kiosk process Qt's GUI thread owns that
context, and libfprint's enumeration and sync calls iterate it, so it cannot run there). In the
kiosk, every call that waits for the host runs on the device's thread (``ManagedDevice``) or the
discovery thread, never on the UI thread. See docs/devices.md.
"""
