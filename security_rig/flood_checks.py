"""Floods the server must throttle: password guessing (lockout or 429) and new enrolments (429).
Both loops stop at the first refusal and are bounded in count and time."""

from __future__ import annotations

import secrets
import time

from security_rig import credentials
from security_rig.context import Rig
from security_rig.credentials import API
from security_rig.report import Outcome

FLOOD_SECONDS = 60.0


def check_login_brute_force(rig: Rig, out: Outcome) -> None:
    """Wrong passwords for one made-up name (no real account gets locked): a lockout (403) or 429 must
    come within ``brute_force_attempts``."""
    name = f"security-rig-{secrets.token_hex(4)}"
    limit, deadline = rig.options.brute_force_attempts, time.monotonic() + FLOOD_SECONDS
    for attempt in range(1, limit + 1):
        if time.monotonic() > deadline:
            out.note(f"time bound reached after {attempt - 1} attempts")
            break
        reply = rig.target.request(
            "POST", f"{API}/auth/login", json={"username": name, "password": f"wrong-{attempt}"}
        )
        out.probes += 1
        if reply.status in (403, 429):
            out.note(f"refused after {attempt} wrong passwords: {reply.status} {reply.code() or ''}".rstrip())
            return
        if reply.status == 200:
            out.find("high", "POST /api/v1/auth/login", "a made-up account with a wrong password got a token")
            return
        if reply.status >= 500 or reply.status == 0:
            out.find(
                "medium", "POST /api/v1/auth/login", "password guessing causes server errors", reply.brief()
            )
            return
    out.find(
        "high",
        "POST /api/v1/auth/login",
        f"{out.probes} wrong passwords for one name were all answered without lockout or throttling",
        f"last answer: {reply.brief()}",
    )


def check_enrolment_flood(rig: Rig, out: Outcome) -> None:
    """New enrolments from one address, each with a fresh key: 429 must come within
    ``enrol_flood_limit``. The machines it made are revoked at the end when an admin is at hand."""
    center = rig.enrol_center
    if center is None:
        out.skip("no center to enrol for (set [enrol] center_id in FILE)")
        return
    limit, deadline = rig.options.enrol_flood_limit, time.monotonic() + FLOOD_SECONDS
    reply = None
    for attempt in range(1, limit + 1):
        if time.monotonic() > deadline or rig.over_budget():
            out.note(f"bound reached after {attempt - 1} enrolments")
            break
        reply = credentials.enrol(rig.target, center_id=center, name=f"security-rig flood {attempt}")
        out.probes += 1
        if reply.status == 429:
            out.note(f"refused after {attempt} new enrolments: 429 {reply.code() or ''}".rstrip())
            return
        data = reply.json()
        if reply.status == 200 and isinstance(data, dict) and isinstance(data.get("machine_id"), str):
            rig.created_machines.append(data["machine_id"])
            continue
        if reply.status >= 500 or reply.status == 0:
            out.find(
                "medium",
                "POST /api/v1/machines/enrol",
                "an enrolment flood causes server errors",
                reply.brief(),
            )
            return
        out.skip(f"enrolment for center {center} refused: {reply.brief()}")
        return
    out.find(
        "high",
        "POST /api/v1/machines/enrol",
        f"{out.probes} new enrolments from one address were all accepted (no 429)",
        reply.brief() if reply else "",
    )
