"""A minimal protocol client for server tests (the real agent is client.core.sync; this one lets tests
send exactly the bad requests they need)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable

import requests

from shared.rid import format_rid
from shared.signing import generate_private_key, public_key_b64, sign_b64

API = "/api/v1"


def sha256_b64(data: bytes) -> str:
    """The tus ``Upload-Checksum`` value of ``data`` with SHA-256, as kiosks send it."""
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


class Kiosk:
    def __init__(self, url: str, *, center_id: str = "10001", name: str = "test kiosk") -> None:
        self.url, self.center_id, self.name = url, center_id, name
        self.key = generate_private_key()
        self.http = requests.Session()
        self.machine_id: str | None = None
        self.token: str | None = None
        self.enrolment: dict = {}
        self._seq = 0

    def enrol(self) -> dict:
        response = self.http.post(
            f"{self.url}{API}/machines/enrol",
            json={"public_key": public_key_b64(self.key), "center_id": self.center_id, "name": self.name},
        )
        response.raise_for_status()
        self.enrolment = response.json()
        self.machine_id = self.enrolment["machine_id"]
        return self.enrolment

    def challenge(self) -> str:
        response = self.http.post(f"{self.url}{API}/auth/challenge", json={"machine_id": self.machine_id})
        response.raise_for_status()
        return response.json()["challenge"]

    def token_response(self, challenge: str, signature: str | None = None) -> requests.Response:
        return self.http.post(
            f"{self.url}{API}/auth/machine-token",
            json={
                "machine_id": self.machine_id,
                "challenge": challenge,
                "signature": signature or sign_b64(self.key, challenge.encode()),
            },
        )

    def login(self) -> str:
        response = self.token_response(self.challenge())
        response.raise_for_status()
        self.token = response.json()["token"]
        return self.token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def new_rid(self) -> str:
        self._seq += 1
        return format_rid(
            center_id=int(self.center_id),
            machine_id=int(self.machine_id),
            sequence=self._seq,
            created_at=dt.datetime.now(dt.UTC),
        )

    def register(self, rid: str, data: bytes, **extra) -> requests.Response:
        return self.http.post(
            f"{self.url}{API}/packets",
            json={"rid": rid, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), **extra},
            headers=self.auth,
        )

    def offset(self, rid: str) -> requests.Response:
        return self.http.head(f"{self.url}{API}/packets/{rid}/content", headers=self.auth)

    def patch(self, rid: str, offset: int, chunk: bytes, *, checksum: bool = False) -> requests.Response:
        """PATCH ``chunk`` at ``offset``; ``checksum``: with its Upload-Checksum, as the kiosk sends it."""
        headers = {
            **self.auth,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        if checksum:
            headers["Upload-Checksum"] = sha256_b64(chunk)
        return self.http.patch(f"{self.url}{API}/packets/{rid}/content", data=chunk, headers=headers)

    def upload(self, rid: str, data: bytes, *, chunk: int = 256 * 1024) -> None:
        offset = int(self.offset(rid).headers["Upload-Offset"])
        while offset < len(data):
            response = self.patch(rid, offset, data[offset : offset + chunk])
            if response.status_code == 409 and response.json()["code"] == "offset_mismatch":
                offset = response.json()["current_offset"]
                continue
            assert response.status_code == 204, response.text
            offset = int(response.headers["Upload-Offset"])

    def status(self, *rids: str) -> dict[str, dict]:
        response = self.http.post(
            f"{self.url}{API}/packets/status", json={"rids": list(rids)}, headers=self.auth
        )
        response.raise_for_status()
        return {s["rid"]: s for s in response.json()["statuses"]}

    def wait_for(
        self, rid: str, until: Callable[[dict], bool], *, timeout: float = 60, every: float = 0.2
    ) -> dict:
        """Poll ``rid``'s status until ``until`` holds for it; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        state: dict = {}
        while time.monotonic() < deadline:
            state = self.status(rid)[rid]
            if until(state):
                return state
            time.sleep(every)
        raise AssertionError(f"{rid} stayed {state}")


def final(state: dict) -> bool:
    """A packet status the server will not change any more."""
    return state["status"] in ("processed", "rejected")


def admin_token(url: str, username: str = "admin", password: str = "admin-demo") -> str:
    response = requests.post(f"{url}{API}/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    return response.json()["token"]


def random_packet(size: int) -> bytes:
    return os.urandom(size)
