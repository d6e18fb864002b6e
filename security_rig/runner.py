"""One server run: read the target's OpenAPI document, open the sessions the credentials allow (and a
test machine of the rig's own), run the checks in an order that keeps throttles from masking each
other (floods last), then clean up what the rig created."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from security_rig import (
    access_checks,
    auth_checks,
    body_checks,
    credentials,
    flood_checks,
    http_checks,
    openapi,
    packet_checks,
    tls_checks,
)
from security_rig.context import Rig, RigOptions
from security_rig.credentials import API, CredentialsFile
from security_rig.report import Outcome, Report
from security_rig.slow_checks import SlowClients
from security_rig.target import Target

MAX_CLEANUP = 200


class CouldNotRun(Exception):
    """The run cannot start (no document, unreachable target); the message says why."""


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    run: Callable[[Rig, Outcome], None]


CHECKS = (
    Check("tls", "TLS settings (https), or plain http off loopback", tls_checks.check_tls),
    Check(
        "headers.security",
        "Security headers on API replies and console pages",
        http_checks.check_security_headers,
    ),
    Check(
        "access.anonymous",
        "Every operation of /openapi.json without credentials",
        access_checks.check_anonymous,
    ),
    Check("access.console", "Console pages without a session", access_checks.check_console_pages),
    Check("access.roles", "Tokens on operations their roles must not reach (403)", access_checks.check_roles),
    Check("tokens.bearer", "Garbage and tampered bearer tokens; token lifetimes", auth_checks.check_tokens),
    Check(
        "tokens.challenge",
        "Machine challenge replay and forged signatures",
        auth_checks.check_challenge_replay,
    ),
    Check(
        "tokens.console-logout", "Console session replayed after sign-out", auth_checks.check_console_logout
    ),
    Check("packets", "Wrong-center RIDs, replayed and tampered packets", packet_checks.check_packets),
    Check("traversal", "Path traversal in path and query parameters", http_checks.check_traversal),
    Check("bodies.oversized", "Body over the limit with Content-Length", body_checks.check_oversized),
    Check("bodies.chunked", "Body over the limit sent chunked", body_checks.check_chunked),
    Check("bodies.deep-json", "JSON nested 100,000 deep", body_checks.check_deep_json),
    Check("headers.flood", "Header floods", http_checks.check_header_flood),
    Check("brute-force.login", "Login brute force (lockout or 429)", flood_checks.check_login_brute_force),
    Check("flood.enrol", "Enrolment flood (429)", flood_checks.check_enrolment_flood),
    Check("tokens.revoked-machine", "A revoked machine's token", auth_checks.check_revoked_machine_token),
)
SLOW = Check("slow-clients", "Slow clients (slowloris)", lambda rig, out: None)
CHECK_NAMES = tuple(c.name for c in (*CHECKS, SLOW))


def selected(name: str, only: tuple[str, ...]) -> bool:
    """``only`` empty: every check; else names or prefixes (``bodies`` selects ``bodies.*``)."""
    return not only or any(name == o or name.startswith(o + ".") for o in only)


def _center(rig: Rig, creds: CredentialsFile) -> str | None:
    if creds.enrol:
        return creds.enrol.center_id
    if creds.machines:
        return creds.machines[0].center_id
    manager = rig.manager()
    if manager is None:
        return None
    reply = rig.target.request("GET", f"{API}/admin/users", token=manager.token)
    users = reply.json() if reply.status == 200 else None
    centers = Counter(u.get("center_id") for u in users or [] if isinstance(u, dict) and u.get("center_id"))
    return centers.most_common(1)[0][0] if centers else None


def _machine(rig: Rig, creds: CredentialsFile, report: Report) -> None:
    if creds.machines:
        rig.machine = credentials.machine_from(creds.machines[0])
    elif rig.enrol_center:
        machine, reply = credentials.new_machine(rig.target, center_id=rig.enrol_center)
        if machine is None:
            report.notes.append(f"the rig could not enrol a test machine: {reply.brief()}")
            return
        rig.machine = machine
        rig.created_machines.append(machine.machine_id)
        if (reply.json() or {}).get("status") == "pending":
            approved = auth_checks.approve(rig, machine)
            if approved is None or approved.status != 200:
                report.notes.append(
                    f"test machine {machine.machine_id} is pending and no admin could approve it"
                )
                return
        report.notes.append(f"enrolled test machine {machine.machine_id} for center {rig.enrol_center}")
    else:
        report.notes.append("no machine: give one in FILE, or [enrol] center_id / an admin user")
        return
    reply = credentials.machine_login(rig.target, rig.machine)
    if not rig.machine.token:
        report.notes.append(f"machine {rig.machine.machine_id} got no token: {reply.brief()}")


def setup(
    target: Target, creds: CredentialsFile, options: RigOptions, report: Report, *, need_machine: bool
) -> Rig:
    try:
        operations = openapi.fetch(target)
    except openapi.DocumentError as exc:
        raise CouldNotRun(f"cannot read the server's OpenAPI document: {exc}") from exc
    report.notes.append(f"{len(operations)} operations in the server's OpenAPI document")
    rig = Rig(target, operations, options, creds)
    for user in creds.users:
        session, reply = credentials.login(target, user)
        rig.login_replies.append(reply)
        if session is None:
            report.notes.append(f"user {user.username}: login failed ({reply.status} {reply.code() or ''})")
        else:
            rig.users.append(session)
            report.notes.append(f"user {user.username}: roles {', '.join(sorted(session.roles)) or 'none'}")
    rig.enrol_center = _center(rig, creds)
    if need_machine:
        _machine(rig, creds, report)
    return rig


def _run_one(check: Check, rig: Rig, report: Report) -> None:
    outcome = Outcome(check.name, check.title)
    began = time.monotonic()
    try:
        check.run(rig, outcome)
    except Exception as exc:  # one broken check must not hide the others' results
        outcome.status = "error"
        outcome.note(f"{type(exc).__name__}: {exc}")
    outcome.seconds = time.monotonic() - began
    report.outcomes.append(outcome)


def cleanup(rig: Rig, report: Report) -> None:
    """Revoke the machines the rig enrolled (needs an admin or center admin)."""
    left = list(rig.created_machines)[:MAX_CLEANUP]
    if not left:
        return
    if rig.manager() is None:
        report.notes.append(
            f"{len(left)} machine(s) the rig enrolled stay on the server (no admin to revoke them)"
        )
        return
    failed = [m for m in left if not auth_checks.revoke(rig, m)]
    report.notes.append(f"revoked {len(left) - len(failed)} machine(s) the rig enrolled")
    if failed:
        report.notes.append(f"could not revoke: {', '.join(failed)}")


def run_server(
    target: Target, creds: CredentialsFile, options: RigOptions, *, only: tuple[str, ...] = ()
) -> Report:
    report = Report("server", target.base)
    machine_checks = (
        "tokens.challenge",
        "packets",
        "access.roles",
        "tokens.bearer",
        "tokens.revoked-machine",
    )
    if selected(CHECKS[0].name, only):  # TLS first: a bad certificate is reported, then not verified
        _run_one(CHECKS[0], Rig(target, [], options), report)
    rig = setup(target, creds, options, report, need_machine=any(selected(n, only) for n in machine_checks))
    slow = None
    if selected(SLOW.name, only):
        slow_outcome = Outcome(SLOW.name, SLOW.title)
        slow = SlowClients(rig, slow_outcome)
        slow.start()
    try:
        for check in CHECKS[1:]:
            if selected(check.name, only):
                _run_one(check, rig, report)
    finally:
        if slow is not None:
            began = time.monotonic()
            slow.finish()
            slow_outcome.seconds = time.monotonic() - began
            report.outcomes.append(slow_outcome)
        cleanup(rig, report)
    report.close(requests=target.sent)
    return report
