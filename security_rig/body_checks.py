"""Request bodies past the server's limits: a declared Content-Length over the limit, the same size sent
chunked (no Content-Length), an anonymous flood of the one large-body route, and JSON nested 100,000
deep. Each must be refused with a 4xx (413 for size) before the server has read it all; none may cause
a 5xx."""

from __future__ import annotations

from security_rig import rawhttp
from security_rig.access import allowed_roles
from security_rig.context import Rig
from security_rig.openapi import Operation
from security_rig.report import Outcome

PIECE = 64 * 1024
DEEP = 100_000
BULK_FLOOD = 16 * 1024 * 1024


def _small_route(rig: Rig) -> Operation | None:
    """A public JSON route with a small body limit (the challenge route is cheap to hit)."""
    posts = [
        op
        for op in rig.operations
        if op.method == "POST" and not op.secured and "application/json" in op.body_types
    ]
    preferred = [op for op in posts if op.path.endswith("/auth/challenge")]
    return (preferred or posts or [None])[0]


def _padded(total: int) -> bytes:
    start, end = b'{"machine_id": "99999"', b"}"
    return start + b" " * (total - len(start) - len(end)) + end


def _judge(out: Outcome, target: str, reply: rawhttp.RawReply, total: int, how: str) -> None:
    early = reply.sent < total
    if reply.status == 413 or (400 <= reply.status < 500 and early):
        out.note(f"{how}: {reply.status} after {reply.sent} of {total} bytes")
        return
    if reply.status == 0:
        out.find("low", target, f"{how}: no answer, the connection was dropped or timed out", reply.brief())
    elif reply.status >= 500:
        out.find("medium", target, f"{how}: server error", reply.brief())
    else:
        out.find(
            "high", target, f"{how}: read whole and answered {reply.status} (no body limit)", reply.brief()
        )


def check_oversized(rig: Rig, out: Outcome) -> None:
    op = _small_route(rig)
    if op is None:
        out.skip("no public JSON route in the document")
        return
    total = 2 * rig.options.max_body_bytes + 1
    body = _padded(total)
    head = rawhttp.request_head(
        rig.target, "POST", op.path, ["Content-Type: application/json", f"Content-Length: {total}"]
    )
    pieces = (body[i : i + PIECE] for i in range(0, total, PIECE))
    reply = rawhttp.stream(rig.target, head, pieces, timeout=20)
    out.probes += 1
    _judge(out, op.name, reply, total, f"{total} bytes with Content-Length")


def check_chunked(rig: Rig, out: Outcome) -> None:
    op = _small_route(rig)
    if op is None:
        out.skip("no public JSON route in the document")
        return
    total = 2 * rig.options.max_body_bytes + 1
    head = rawhttp.request_head(
        rig.target, "POST", op.path, ["Content-Type: application/json", "Transfer-Encoding: chunked"]
    )
    reply = rawhttp.stream(rig.target, head, rawhttp.chunked(total, b" " * PIECE), timeout=20)
    out.probes += 1
    _judge(out, op.name, reply, total, f"{total} bytes chunked")
    bulk = next(
        (op for op in rig.operations if op.method == "POST" and op.path.endswith("/masterdata/import")), None
    )
    if bulk is None:
        return
    head = rawhttp.request_head(
        rig.target, "POST", bulk.path, ["Content-Type: application/json", "Transfer-Encoding: chunked"]
    )
    reply = rawhttp.stream(rig.target, head, rawhttp.chunked(BULK_FLOOD, b" " * PIECE), timeout=30)
    out.probes += 1
    if not (reply.status in (401, 403) and reply.sent < BULK_FLOOD):
        out.find(
            "high",
            bulk.name,
            "an anonymous chunked body is read before authentication",
            f"{reply.brief()} after {reply.sent} of {BULK_FLOOD} bytes",
        )


def check_deep_json(rig: Rig, out: Outcome) -> None:
    """[[[[...]]]] 100,000 deep to every JSON operation: anonymously, and with the strongest token on
    the secured ones it may reach (routes that read their body only after authentication)."""
    deep = b"[" * DEEP + b"]" * DEEP
    user = rig.strongest()
    for op in rig.operations:
        if "application/json" not in op.body_types or rig.over_budget():
            continue
        tokens: list[str | None] = [None]
        allowed = allowed_roles(op.method, op.path)
        if user and op.secured and allowed and not user.roles.isdisjoint(allowed):
            tokens.append(user.token)
        for token in tokens:
            reply = rig.target.request(
                op.method,
                op.path_with(),
                token=token,
                params=op.query() or None,
                headers={**op.headers(), "Content-Type": "application/json"},
                data=deep,
                timeout=20,
                max_bytes=4096,
            )
            out.probes += 1
            who = f"{op.name}{' as ' + user.username if token else ''}"
            if reply.status >= 500 or reply.status == 0:
                out.find(
                    "medium",
                    who,
                    f"JSON nested {DEEP} deep causes a server error or no answer",
                    reply.brief(),
                )
            elif reply.status < 400:
                out.find(
                    "medium", who, f"JSON nested {DEEP} deep is accepted ({reply.status})", reply.brief()
                )
