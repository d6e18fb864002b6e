"""Which read of a symbol the kiosk believes: zxing-cpp decides, the other backends only fill gaps.

The rule, for the reads of one image:

1. Every zxing-cpp read is kept as it is.
2. A fallback read (pyzbar, OpenCV) of a symbol zxing-cpp also read (their boxes overlap) is dropped,
   whatever its text; where the texts differ, the disagreement is kept in ``overruled``.
3. A fallback read of a symbol zxing-cpp did not read sends zxing-cpp back to that spot (``reread``: the
   region, cropped and enlarged). What zxing-cpp reads there is kept and overrules the fallback as in 2.
4. Otherwise the fallback read is kept only when its text is ASCII. The fallbacks guess the charset of
   QR text themselves, and a guess can only be wrong about bytes above 0x7F, so a non-ASCII fallback
   text is unverifiable and goes to ``refused``; a live scan then simply tries the next frame.
5. A zxing-cpp read that used up all its error correction (``margin`` 0) may be a miscorrection (seen:
   a PDF417 turned 8 degrees read as a "valid" string of junk). It is kept only when a fallback read the
   same text there; otherwise it goes to ``refused``, and a fallback that disagrees is still overruled.

Results keep zxing-cpp's order, then the fallbacks', one result per text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from device_drivers.barcode_backends import Box, Decoded

AUTHORITY = "zxing-cpp"


@dataclass
class Arbitration:
    """The reads kept, and for the record the fallback reads zxing-cpp overruled or that were refused."""

    results: list[Decoded]
    overruled: list[tuple[Decoded, Decoded]] = field(default_factory=list)  # (fallback read, zxing's read)
    refused: list[Decoded] = field(default_factory=list)


def same_symbol(a: Box | None, b: Box | None) -> bool:
    """Whether two reads' boxes overlap, each widened a little (1-D symbols come back as thin lines)."""
    if a is None or b is None:
        return False
    grow_a = 4 + 0.05 * max(a[2] - a[0], a[3] - a[1])
    grow_b = 4 + 0.05 * max(b[2] - b[0], b[3] - b[1])
    grow = grow_a + grow_b
    return a[0] - grow <= b[2] and b[0] - grow <= a[2] and a[1] - grow <= b[3] and b[1] - grow <= a[3]


def _zxing_read_of(read: Decoded, authority: list[Decoded]) -> Decoded | None:
    """zxing-cpp's read of the symbol ``read`` is of: same text, overlapping box, or (a fallback that
    gave no position) the only symbol of that symbology zxing-cpp read."""
    for kept in authority:
        if kept.text == read.text or same_symbol(kept.box, read.box):
            return kept
    if read.box is None:
        alike = [kept for kept in authority if kept.symbology == read.symbology]
        if len(alike) == 1:
            return alike[0]
    return None


def trustworthy_fallback_text(text: str) -> bool:
    """A fallback's text that no charset guess can have altered: non-empty ASCII."""
    return bool(text) and text.isascii()


def at_limit(read: Decoded) -> bool:
    """A zxing-cpp read that used all its error correction (ISO/IEC 15415 "unused error correction" 0)."""
    return read.margin is not None and read.margin <= 0


def arbitrate(
    authority: list[Decoded],
    fallbacks: list[Decoded],
    *,
    reread: Callable[[Box], list[Decoded]] | None = None,
) -> Arbitration:
    """Merge zxing-cpp's reads (``authority``) with the fallbacks' reads of the same image by the rule
    above. ``reread(box)`` is zxing-cpp on that region of the image (boxes in image coordinates)."""
    kept = list(authority)
    outcome = Arbitration(results=[])
    confirmed: set[Decoded] = set()
    extra: list[Decoded] = []
    for read in fallbacks:
        ours = _zxing_read_of(read, kept)
        if ours is None and reread is not None and read.box is not None:
            again = reread(read.box)
            kept.extend(again)
            ours = _zxing_read_of(read, again) or (again[0] if again else None)
        if ours is None:
            (extra if trustworthy_fallback_text(read.text) else outcome.refused).append(read)
        elif ours.text == read.text:
            confirmed.add(ours)
        else:
            outcome.overruled.append((read, ours))
    seen: set[str] = set()
    for read in kept + extra:
        if at_limit(read) and read not in confirmed:
            outcome.refused.append(read)
        elif read.text not in seen:
            seen.add(read.text)
            outcome.results.append(read)
    return outcome
