"""Missing authentication and wrong roles, on every operation of the server's OpenAPI document, and the
console pages without a session."""

from __future__ import annotations

from urllib.parse import urlsplit

from security_rig.access import (
    ADMIN_PREFIX,
    CONSOLE_PAGES,
    MACHINE,
    SIGN_IN_PAGE,
    allowed_roles,
    must_refuse,
    public_reason,
)
from security_rig.context import Rig, parallel
from security_rig.openapi import Operation
from security_rig.report import Outcome
from security_rig.target import Reply, Target

REFUSED = (401, 403)
# Refusals of the request's form, answered before any route logic (tus and HTTP rules): no leak.
PROTOCOL_REFUSALS = (405, 406, 411, 412, 413, 415, 431)


def probe(target: Target, op: Operation, *, token: str | None = None, timeout: float = 10.0) -> Reply:
    """``op`` with plausible parameters and an empty well-formed body."""
    body, content_type = op.body()
    return target.request(
        op.method,
        op.path_with(),
        token=token,
        params=op.query() or None,
        headers={**op.headers(), **content_type},
        data=body,
        timeout=timeout,
        max_bytes=16 * 1024,
    )


def check_anonymous(rig: Rig, out: Outcome) -> None:
    """Each operation without credentials: a secured one must answer 401 (or 403) before anything
    else; one the document declares public must be on the rig's public list, or refuse too."""
    public = [op.name for op in rig.operations if not op.secured and public_reason(op.method, op.path)]
    probed = [op for op in rig.operations if op.secured or not public_reason(op.method, op.path)]
    room = max(0, rig.options.request_budget - rig.target.sent)
    if len(probed) > room:
        out.note("request budget reached: the remaining operations were not probed")
        probed = probed[:room]
    replies = parallel(probed, lambda op: probe(rig.target, op))
    for op, reply in zip(probed, replies, strict=True):
        out.probes += 1
        ok = 200 <= reply.status < 300
        if reply.status in REFUSED:
            continue
        if not op.secured:
            if ok:
                severity = "high" if op.path.startswith(ADMIN_PREFIX) else "medium"
                out.find(
                    severity,
                    op.name,
                    "answers without credentials; the document declares no security requirement and the "
                    "operation is not on the rig's list of public operations",
                    reply.brief(),
                )
            continue
        if ok:
            out.find("high", op.name, "answers 2xx without credentials", reply.brief())
        elif reply.status in PROTOCOL_REFUSALS:
            out.note(f"{op.name}: {reply.status} without credentials (the request's form is refused first)")
        elif reply.status >= 500 or reply.status == 0:
            out.find(
                "medium", op.name, "fails instead of refusing a request without credentials", reply.brief()
            )
        else:
            out.find(
                "low",
                op.name,
                f"answers {reply.status} instead of 401 without credentials: the credential check does not "
                "come first",
                reply.brief(),
            )
    out.note(f"{len(public)} operations are public by design (rig's list): {', '.join(public)}")


def check_roles(rig: Rig, out: Outcome) -> None:
    """Each token the rig holds, on each operation its roles must not reach: 403 expected."""
    principals = [(u.username, u.roles, u.token) for u in rig.users]
    if rig.machine and rig.machine.token:
        principals.append((f"machine {rig.machine.machine_id}", frozenset({MACHINE}), rig.machine.token))
    if not principals:
        out.skip("no credential: give users (any role) and/or let the rig enrol a machine")
        return
    unknown = sorted(
        {
            op.name
            for op in rig.operations
            if op.path.startswith(ADMIN_PREFIX) and allowed_roles(op.method, op.path) is None
        }
    )
    if unknown:
        out.note(
            "admin operations not in the rig's access table (only kiosk roles and machines checked): "
            + ", ".join(unknown)
        )
    for who, roles, token in principals:
        denied = [
            op
            for op in rig.operations
            if (op.secured or op.path.startswith(ADMIN_PREFIX)) and must_refuse(roles, op.method, op.path)
        ]
        out.note(f"{who} ({', '.join(sorted(roles)) or 'no role'}): {len(denied)} operations must refuse it")
        room = max(0, rig.options.request_budget - rig.target.sent)
        if len(denied) > room:
            out.note("request budget reached")
            denied = denied[:room]
        replies = parallel(denied, lambda op, token=token: probe(rig.target, op, token=token))
        for op, reply in zip(denied, replies, strict=True):
            out.probes += 1
            if reply.status in REFUSED:
                continue
            target = f"{op.name} as {who}"
            if 200 <= reply.status < 300:
                out.find(
                    "high",
                    target,
                    f"a token with roles {sorted(roles)} reaches this operation",
                    reply.brief(),
                )
            elif reply.status in PROTOCOL_REFUSALS:
                out.note(f"{target}: {reply.status} (the request's form is refused first)")
            else:
                out.find(
                    "medium",
                    target,
                    f"answers {reply.status} instead of 403 to a token without the role: the role check does not "
                    "come first",
                    reply.brief(),
                )


def check_console_pages(rig: Rig, out: Outcome) -> None:
    """Without a session every console page sends the browser to sign in (or refuses)."""
    for path in CONSOLE_PAGES:
        reply = rig.target.request("GET", path, max_bytes=16 * 1024)
        out.probes += 1
        location = urlsplit(reply.header("location") or "")
        if reply.status in (301, 302, 303, 307, 308) and location.path.startswith(SIGN_IN_PAGE):
            if location.netloc and location.hostname != rig.target.host:
                out.find(
                    "medium",
                    f"GET {path}",
                    "redirects to another host to sign in",
                    reply.header("location") or "",
                )
            continue
        if reply.status in REFUSED:
            continue
        if reply.status == 404:
            out.note(f"{path}: not served by this build")
        elif 200 <= reply.status < 300:
            out.find("high", f"GET {path}", "a console page answers without a session", reply.brief())
        else:
            out.find(
                "medium",
                f"GET {path}",
                f"answers {reply.status} without a session instead of sending to sign in",
                reply.brief(),
            )
