"""Our scan settings as SANE options: source, mode, resolution, depth, scan area, backend extras.

Backends name their choices differently ("Flatbed", "ADF Front", "Automatic Document Feeder";
"Color", "Colour", "24bit Color"...), so values are matched by words; the resolution is the nearest the
scanner offers; the scan area is the page size, cut to what the scanner can reach. SANE thread only:
``device`` is python-sane's open ``SaneDev``.
"""

from __future__ import annotations

from typing import Any

from device_drivers.sane.errors import ScanFailedError, SourceNotAvailableError, error_for
from device_drivers.sane.settings import ScanSettings

_FEEDER_WORDS = ("adf", "feeder", "automatic document")
_MODE_WORDS = {"color": ("color", "colour"), "gray": ("gray", "grey"), "lineart": ("lineart", "binary")}
MM_PER_INCH = 25.4


def source_values(device: Any) -> dict[str, str]:
    """{"flatbed": value, "adf": value} for the sources this scanner has (simplex feeder first)."""
    option = device.opt.get("source")
    if option is None or not isinstance(option.constraint, list):
        return {"flatbed": ""}  # no source option: a plain flatbed
    found: dict[str, str] = {}
    for value in option.constraint:
        words = str(value).lower()
        if "flatbed" in words or words == "normal":
            found.setdefault("flatbed", value)
        elif any(w in words for w in _FEEDER_WORDS) and "duplex" not in words and "back" not in words:
            found.setdefault("adf", value)
    return found


def _set(device: Any, name: str, value: Any) -> None:
    try:
        setattr(device, name, value)
    except AttributeError as exc:  # inactive or read-only option: the backend decides
        raise ScanFailedError(f"option {name} cannot be set ({exc})") from exc
    except Exception as exc:
        raise error_for(exc, during=f"setting {name}={value!r}") from exc


def _nearest(constraint: Any, wanted: float) -> float:
    if isinstance(constraint, tuple) and len(constraint) == 3:
        low, high, step = constraint
        value = min(max(wanted, low), high)
        return low + round((value - low) / step) * step if step else value
    if isinstance(constraint, list) and constraint:
        return min(constraint, key=lambda v: abs(v - wanted))
    return wanted


def apply_settings(device: Any, settings: ScanSettings) -> int:
    """Set ``settings`` on the open scanner; returns the resolution it will scan at (dpi)."""
    options = device.opt
    if "source" in options:
        values = source_values(device)
        if settings.source not in values:
            raise SourceNotAvailableError(f"this scanner has no {settings.source} source")
        if values[settings.source]:
            _set(device, "source", values[settings.source])
    elif settings.source != "flatbed":
        raise SourceNotAvailableError(f"this scanner has no {settings.source} source")
    mode = options.get("mode")
    if mode is not None and isinstance(mode.constraint, list) and mode.is_active():
        words = _MODE_WORDS[settings.mode]
        choice = next((v for v in mode.constraint if any(w in str(v).lower() for w in words)), None)
        if choice is not None:
            _set(device, "mode", choice)
    depth = options.get("depth")
    eight_bit = depth is not None and (not isinstance(depth.constraint, list) or 8 in depth.constraint)
    if eight_bit and depth.is_active() and depth.is_settable() and settings.mode != "lineart":
        _set(device, "depth", 8)  # python-sane hands 8-bit samples to Pillow
    dpi = float(settings.resolution_dpi)
    resolution = options.get("resolution")
    if resolution is not None and resolution.is_active():
        dpi = float(_nearest(resolution.constraint, dpi))
        _set(device, "resolution", int(dpi) if isinstance(device.resolution, int) else dpi)
    _set_area(device, settings, dpi)
    for name, value in settings.backend_options.items():
        _set(device, name.replace("-", "_"), value)
    return max(1, round(dpi))


def _set_area(device: Any, settings: ScanSettings, dpi: float) -> None:
    """The page size from the top-left corner, within the scanner's reach (mm or pixel units)."""
    options = device.opt
    if not all(k in options for k in ("tl_x", "tl_y", "br_x", "br_y")):
        return
    width, height = settings.page_mm
    in_pixels = options["br_x"].unit == 1  # SANE_UNIT_PIXEL
    scale = dpi / MM_PER_INCH if in_pixels else 1.0
    for name in ("tl_x", "tl_y"):
        option = options[name]
        if option.is_active() and option.is_settable():
            _set(device, name, _nearest(option.constraint, 0))
    for name, size in (("br_x", width), ("br_y", height)):
        option = options[name]
        if option.is_active() and option.is_settable():
            value = _nearest(option.constraint, size * scale)
            _set(device, name, int(value) if option.type == 1 else float(value))  # TYPE_INT is 1
