"""Packet intake with a machine token: RIDs of another center or machine, a RID registered again with
other content, bytes that do not match the registered hash, and more bytes than registered. The rig's
own test packets are dropped (tus DELETE) at the end."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets

from security_rig.context import Rig
from security_rig.credentials import API
from security_rig.report import Outcome
from security_rig.target import Reply
from shared.rid import format_rid

SIZE = 1024
TUS = {"Tus-Resumable": "1.0.0"}


def _register(rig: Rig, rid: str, data: bytes) -> Reply:
    body = {"rid": rid, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return rig.target.request("POST", f"{API}/packets", json=body, token=rig.machine.token)


def _patch(rig: Rig, rid: str, data: bytes) -> Reply:
    headers = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    return rig.target.request(
        "PATCH", f"{API}/packets/{rid}/content", data=data, headers=headers, token=rig.machine.token
    )


def _state(rig: Rig, rid: str) -> str:
    reply = rig.target.request("POST", f"{API}/packets/status", json={"rids": [rid]}, token=rig.machine.token)
    data = reply.json()
    try:
        return str(data["statuses"][0]["status"])
    except (TypeError, KeyError, IndexError):
        return f"unknown ({reply.status})"


def _neighbour(value: int) -> int:
    return value + 1 if value < 99_999 else value - 1


def check_packets(rig: Rig, out: Outcome) -> None:
    machine = rig.machine
    if machine is None or not machine.token:
        out.skip(
            "no approved machine (give one in FILE, or an admin user so the rig can enrol and approve one)"
        )
        return
    center, number = int(machine.center_id), int(machine.machine_id)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    sequence = 90_000 + secrets.randbelow(9_000)
    data = os.urandom(SIZE)

    def rid(*, center_id: int = center, machine_id: int = number, offset: int = 0) -> str:
        return format_rid(
            center_id=center_id, machine_id=machine_id, sequence=sequence + offset, created_at=when
        )

    foreign = [
        ("a RID of another center", rid(center_id=_neighbour(center), offset=1)),
        ("a RID of another machine", rid(machine_id=_neighbour(number), offset=2)),
    ]
    for how, other in foreign:
        reply = _register(rig, other, data)
        out.probes += 1
        if 200 <= reply.status < 300:
            rig.created_rids.append(other)
            out.find(
                "high", "POST /api/v1/packets", f"a machine may register {how}", f"{other}: {reply.brief()}"
            )
        elif reply.status >= 500 or reply.status == 0:
            out.find("medium", "POST /api/v1/packets", f"{how}: server error", reply.brief())
    own = rid(offset=3)
    first = _register(rig, own, data)
    out.probes += 1
    if first.status != 200:
        out.note(f"registering the rig's own packet failed ({first.brief()}): content probes skipped")
        _drop(rig, out)
        return
    rig.created_rids.append(own)
    other = os.urandom(SIZE)
    again = _register(rig, own, other)
    out.probes += 1
    if 200 <= again.status < 300:
        out.find(
            "high",
            "POST /api/v1/packets",
            "a registered RID is registered again with other content",
            again.brief(),
        )
    longer = _patch(rig, own, data + b"x")
    out.probes += 1
    if 200 <= longer.status < 300:
        out.find(
            "medium",
            "PATCH /api/v1/packets/{rid}/content",
            "more bytes than registered are taken",
            longer.brief(),
        )
    tampered = _patch(rig, own, other)
    out.probes += 1
    state = _state(rig, own)
    out.probes += 1
    if 200 <= tampered.status < 300 or state in ("received", "processing", "processed"):
        out.find(
            "high",
            "PATCH /api/v1/packets/{rid}/content",
            "bytes that do not match the registered SHA-256 were accepted",
            f"PATCH {tampered.brief()}; status {state}",
        )
    elif tampered.status >= 500 or tampered.status == 0:
        out.find(
            "medium",
            "PATCH /api/v1/packets/{rid}/content",
            "tampered content causes a server error",
            tampered.brief(),
        )
    _drop(rig, out)


def _drop(rig: Rig, out: Outcome) -> None:
    for rid in list(rig.created_rids):
        reply = rig.target.request(
            "DELETE", f"{API}/packets/{rid}/content", headers=TUS, token=rig.machine.token
        )
        out.probes += 1
        if reply.status in (200, 204, 404, 410):
            rig.created_rids.remove(rid)
    if rig.created_rids:
        out.note(f"could not drop the rig's test packets: {', '.join(rig.created_rids)}")
