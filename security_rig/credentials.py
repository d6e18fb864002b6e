"""The credentials file (``--admin-credentials FILE``, JSON or TOML) and the sessions the rig opens
with it: user tokens (roles as the server states them), and a machine that signs challenges.

    [[users]]                      # console/API accounts; any roles (a low role makes the role checks)
    username = "admin"
    password = "admin-demo"
    # totp_secret = "BASE32..."    # when the account has a second factor

    [[machines]]                   # optional: an approved machine and its Ed25519 key
    machine_id = "10005"
    center_id = "10001"
    private_key = "base64 of the raw 32-byte key"

    [enrol]                        # optional: where the rig may enrol a test machine of its own
    center_id = "10001"
"""

from __future__ import annotations

import base64
import binascii
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from security_rig.target import Reply, Target
from shared.signing import generate_private_key, private_key_from_bytes, public_key_b64, sign_b64

MAX_FILE_BYTES = 64 * 1024
API = "/api/v1"


class CredentialsError(Exception):
    """The credentials file is missing, malformed or names nothing usable."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCredential(_Strict):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=500, repr=False)
    totp_secret: str | None = Field(default=None, max_length=200, repr=False)


class MachineCredential(_Strict):
    machine_id: str = Field(pattern=r"^[0-9]{5}$")
    center_id: str = Field(pattern=r"^[0-9]{5}$")
    private_key: str = Field(min_length=40, max_length=100, repr=False)


class EnrolSettings(_Strict):
    center_id: str = Field(pattern=r"^[0-9]{5}$")


class CredentialsFile(_Strict):
    users: list[UserCredential] = Field(default_factory=list, max_length=20)
    machines: list[MachineCredential] = Field(default_factory=list, max_length=5)
    enrol: EnrolSettings | None = None


def load(path: Path) -> CredentialsFile:
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise CredentialsError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise CredentialsError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
        data = (
            json.loads(text)
            if path.suffix.lower() == ".json" or text.lstrip().startswith("{")
            else tomllib.loads(text)
        )
        loaded = CredentialsFile.model_validate(data)
    except (UnicodeDecodeError, ValueError, tomllib.TOMLDecodeError) as exc:
        message = str(exc).split("\n", 1)[0] if not isinstance(exc, ValidationError) else _first(exc)
        raise CredentialsError(f"{path}: {message}") from None
    for machine in loaded.machines:
        machine_from(machine)  # a key that does not decode is the file's fault: say so now
    if any(u.totp_secret for u in loaded.users):
        try:
            import pyotp  # noqa: F401 (installed with the server extra)
        except ImportError:
            raise CredentialsError(f"{path}: totp_secret needs pyotp (pip install pyotp)") from None
    return loaded


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}"  # never the input: it may be a password


@dataclass
class UserSession:
    username: str
    token: str
    roles: frozenset[str]
    expires_at: str
    credential: UserCredential = field(repr=False)


@dataclass
class MachineSession:
    machine_id: str
    center_id: str
    key: object = field(repr=False)  # Ed25519PrivateKey
    token: str = ""
    enrolled_by_rig: bool = False


def login(target: Target, user: UserCredential) -> tuple[UserSession | None, Reply]:
    body: dict[str, str] = {"username": user.username, "password": user.password}
    if user.totp_secret:
        import pyotp

        body["totp_code"] = pyotp.TOTP(user.totp_secret).now()
    reply = target.request("POST", f"{API}/auth/login", json=body)
    data = reply.json()
    if reply.status != 200 or not isinstance(data, dict) or not isinstance(data.get("token"), str):
        return None, reply
    roles = frozenset(r for r in data.get("roles", []) if isinstance(r, str))
    return UserSession(user.username, data["token"], roles, str(data.get("expires_at", "")), user), reply


def machine_from(credential: MachineCredential) -> MachineSession:
    try:
        key = private_key_from_bytes(base64.b64decode(credential.private_key, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise CredentialsError(
            f"machine {credential.machine_id}: private_key is not a base64 Ed25519 key"
        ) from exc
    return MachineSession(credential.machine_id, credential.center_id, key)


def enrol(target: Target, *, center_id: str, name: str, key: object | None = None) -> Reply:
    body = {"public_key": public_key_b64(key or generate_private_key()), "center_id": center_id, "name": name}
    return target.request("POST", f"{API}/machines/enrol", json=body)


def new_machine(target: Target, *, center_id: str) -> tuple[MachineSession | None, Reply]:
    """Enrol a fresh test machine; the session is returned whatever its status (approved or pending)."""
    key = generate_private_key()
    reply = enrol(target, center_id=center_id, name="security-rig probe", key=key)
    data = reply.json()
    if reply.status != 200 or not isinstance(data, dict) or not isinstance(data.get("machine_id"), str):
        return None, reply
    return MachineSession(data["machine_id"], center_id, key, enrolled_by_rig=True), reply


def challenge(target: Target, machine_id: str) -> tuple[str | None, Reply]:
    reply = target.request("POST", f"{API}/auth/challenge", json={"machine_id": machine_id})
    data = reply.json()
    value = data.get("challenge") if isinstance(data, dict) else None
    return (value if reply.status == 200 and isinstance(value, str) else None), reply


def sign(machine: MachineSession, text: str) -> str:
    return sign_b64(machine.key, text.encode())


def machine_token(target: Target, machine: MachineSession, challenge_text: str, signature: str) -> Reply:
    body = {"machine_id": machine.machine_id, "challenge": challenge_text, "signature": signature}
    return target.request("POST", f"{API}/auth/machine-token", json=body)


def machine_login(target: Target, machine: MachineSession) -> Reply:
    """Challenge, sign, trade for a token (kept on ``machine``)."""
    text, reply = challenge(target, machine.machine_id)
    if text is None:
        return reply
    reply = machine_token(target, machine, text, sign(machine, text))
    data = reply.json()
    if reply.status == 200 and isinstance(data, dict) and isinstance(data.get("token"), str):
        machine.token = data["token"]
    return reply
