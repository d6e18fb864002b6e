"""A kiosk data folder at rest: permissions (0700 folders, 0600 files), no plaintext SQLite and no
readable personal data on disk (the store is SQLCipher), packets only in the age format, and the
database key not in a plaintext file keyring (unless the kiosk is a declared demo)."""

from __future__ import annotations

import os
import re
import stat
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from security_rig.report import Outcome, Report

MAX_ENTRIES = 20_000
SNIFF_BYTES = 64 * 1024
MAX_TEXT_BYTES = 1024 * 1024
PLAIN_SQLITE = b"SQLite format 3\x00"
SQLITE_WAL = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
AGE_HEADERS = (b"age-encryption.org/v1\n", b"-----BEGIN AGE ENCRYPTED FILE-----")
KEYRING_SECTION = re.compile(rb"^\[openreg_2[dD]client\]", re.MULTILINE)
# Field names of the ID schema's demographics (and common synonyms); two or more in one readable file
# make it personal data.
PERSONAL_FIELDS = (
    "fullname", "firstname", "lastname", "surname", "givenname", "dateofbirth", "birthdate", "dob",
    "gender", "phone", "email", "addressline", "postalcode", "uin", "nationalid",
)  # fmt: skip
_FIELD = re.compile(
    rb'(?:^|["\',;\s])(' + "|".join(PERSONAL_FIELDS).encode() + rb')["\',;:\s=]', re.IGNORECASE | re.MULTILINE
)
TRUSTED_KEYRINGS = (
    "keyring.backends.SecretService.Keyring",
    "keyring.backends.libsecret.Keyring",
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.kwallet.DBusKeyringKWallet4",
    "keyring.backends.macOS.Keyring",
    "keyring.backends.Windows.WinVaultKeyring",
)


@dataclass(frozen=True)
class Entry:
    path: Path
    mode: int
    size: int
    uid: int

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)


def walk(top: Path, out_notes: list[str]) -> list[Entry]:
    """Every entry under ``top`` (itself included), symlinks not followed, at most MAX_ENTRIES."""
    entries = [Entry(top, (s := top.lstat()).st_mode, s.st_size, s.st_uid)]
    for folder, dirs, files in os.walk(top, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            try:
                s = path.lstat()
            except OSError:
                continue
            entries.append(Entry(path, s.st_mode, s.st_size, s.st_uid))
            if len(entries) >= MAX_ENTRIES:
                out_notes.append(f"stopped after {MAX_ENTRIES} entries")
                return entries
    return entries


def _head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(size)
    except OSError:
        return b""


def check_permissions(top: Path, entries: list[Entry], out: Outcome) -> None:
    me = os.getuid() if hasattr(os, "getuid") else None
    for e in entries:
        if stat.S_ISLNK(e.mode):
            target = os.path.realpath(e.path)
            if not Path(target).is_relative_to(top.resolve()):
                out.find("medium", str(e.path), f"a symlink out of the data folder (to {target})")
            continue
        out.probes += 1
        loose = stat.S_IMODE(e.mode) & 0o077
        if me is not None and e.uid != me:
            out.note(f"{e.path} belongs to uid {e.uid}, not to the user running the rig")
        if not loose:
            continue
        want = "0700" if e.is_dir else "0600"
        severity = "high" if loose & 0o022 else "medium"
        kind = "folder" if e.is_dir else "file"
        out.find(severity, str(e.path), f"{kind} is {stat.S_IMODE(e.mode):04o}, should be {want}")


def check_plaintext(entries: list[Entry], out: Outcome) -> None:
    """Plain SQLite databases and WAL files, readable personal data, plaintext packets, PDFs and images."""
    for e in entries:
        if not e.is_file or e.size == 0:
            continue
        head = _head(e.path)
        out.probes += 1
        name = e.path.name
        if head.startswith(PLAIN_SQLITE):
            out.find("high", str(e.path), "a plaintext SQLite database (the store must be SQLCipher)")
        elif head[:4] in SQLITE_WAL:
            out.find("high", str(e.path), "the write-ahead log of a plaintext SQLite database")
        elif head.startswith(b"PK\x03\x04"):
            _zip(e.path, out)
        elif head.startswith(b"%PDF"):
            out.find("medium", str(e.path), "a plaintext PDF (receipts belong in the encrypted store)")
        elif head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"\x00\x00\x00\x0cjP  ")):
            out.find("medium", str(e.path), "a plaintext image (a capture or document scan?)")
        elif b"\x00" not in head and not KEYRING_SECTION.search(head):
            text = head if e.size <= len(head) else _head(e.path, MAX_TEXT_BYTES)
            fields = {m.group(1).decode().lower() for m in _FIELD.finditer(text)}
            if len(fields) >= 2:
                out.find(
                    "high", str(e.path), "readable personal data", "fields: " + ", ".join(sorted(fields))
                )
        if name == "client.db" and not head.startswith(PLAIN_SQLITE):
            out.note(f"{e.path}: no SQLite header (encrypted store)")


def _zip(path: Path, out: Outcome) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()[:10_000]
    except (zipfile.BadZipFile, OSError, ValueError):
        out.find("medium", str(path), "an unreadable plaintext ZIP file")
        return
    if "id.json" in names or "meta.json" in names:
        out.find(
            "high",
            str(path),
            "a plaintext packet (ZIP with id.json/meta.json): packets must be age-encrypted",
        )
    else:
        out.find("medium", str(path), f"a plaintext ZIP file ({len(names)} entries)")


def check_packets(top: Path, entries: list[Entry], out: Outcome) -> None:
    packets = top / "packets"
    found = 0
    for e in entries:
        inside = e.path.parent == packets
        if not e.is_file or not (inside or e.path.suffix == ".age"):
            continue
        if e.path.name.startswith(".") and e.size == 0:
            continue  # an empty partial file of a builder that died
        out.probes += 1
        found += 1
        if not _head(e.path, 64).startswith(AGE_HEADERS):
            out.find("high", str(e.path), "a packet file that is not in the age format")
    out.note(f"{found} packet file(s) checked")


def _keyring_files(top: Path, entries: list[Entry], keyring_file: Path | None) -> list[Path]:
    candidates = [e.path for e in entries if e.is_file and e.size <= MAX_TEXT_BYTES]
    named = [keyring_file, os.environ.get("OPENREG_CLIENT_KEYRING_FILE")]
    candidates += [Path(p) for p in named if p]
    return sorted({p for p in candidates if p.is_file() and KEYRING_SECTION.search(_head(p, MAX_TEXT_BYTES))})


def check_keyring(
    top: Path, entries: list[Entry], out: Outcome, *, keyring_file: Path | None, demo: bool
) -> None:
    declared_demo = demo or os.environ.get("OPENREG_CLIENT_ALLOW_INSECURE_HTTP", "").lower() in (
        "1",
        "true",
        "yes",
    )
    files = _keyring_files(top, entries, keyring_file)
    out.probes += 1
    for path in files:
        if declared_demo:
            out.note(f"{path}: the database key is in a plaintext file keyring (declared demo kiosk)")
        else:
            out.find(
                "high", str(path), "the database key is in a plaintext file keyring (not a declared demo)"
            )
    if files:
        return
    try:
        import keyring

        backend = keyring.get_keyring()
        name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    except Exception as exc:  # a broken keyring set-up: the kiosk would refuse to start
        out.note(f"no keyring backend could be loaded here: {exc}")
        return
    if name in TRUSTED_KEYRINGS:
        out.note(f"OS keyring backend: {name}")
    else:
        out.note(f"keyring backend here is {name}: the kiosk refuses it and does not start with it")


def run_kiosk(data_dir: Path, *, keyring_file: Path | None = None, demo: bool = False) -> Report:
    """Check a kiosk data folder; raises FileNotFoundError/NotADirectoryError when there is none."""
    if not data_dir.exists():
        raise FileNotFoundError(f"{data_dir} does not exist")
    if not data_dir.is_dir():
        raise NotADirectoryError(f"{data_dir} is not a folder")
    report = Report("kiosk", str(data_dir))
    entries = walk(data_dir, report.notes)
    checks: list[tuple[str, str, Callable[[Outcome], None]]] = [
        ("kiosk.permissions", "Folders 0700, files 0600", lambda o: check_permissions(data_dir, entries, o)),
        (
            "kiosk.plaintext",
            "No plaintext database or personal data on disk",
            lambda o: check_plaintext(entries, o),
        ),
        ("kiosk.packets", "Packets only in the age format", lambda o: check_packets(data_dir, entries, o)),
        (
            "kiosk.keyring",
            "Database key not in a plaintext file keyring",
            lambda o: check_keyring(data_dir, entries, o, keyring_file=keyring_file, demo=demo),
        ),
    ]
    for check, title, run in checks:
        outcome = Outcome(check, title)
        began = time.monotonic()
        try:
            run(outcome)
        except OSError as exc:
            outcome.status = "error"
            outcome.note(f"{type(exc).__name__}: {exc}")
        outcome.seconds = time.monotonic() - began
        report.outcomes.append(outcome)
    report.close(requests=0)
    return report
