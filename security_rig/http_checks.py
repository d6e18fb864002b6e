"""HTTP-level checks: security headers on API replies and console pages, header floods, and path
traversal in path and query parameters (raw request lines, so nothing normalises the dots away)."""

from __future__ import annotations

import re
from urllib.parse import quote

from security_rig import rawhttp
from security_rig.access import PUBLIC_PAGES, allowed_roles
from security_rig.context import Rig, parallel
from security_rig.openapi import plausible
from security_rig.report import Outcome
from security_rig.target import Reply

_VERSION = re.compile(r"\d+\.\d+")
_GOOD_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
# What a leaked file looks like: /etc/passwd, private keys (age, PEM), SQLite files, the server's files.
LEAK_MARKERS = (
    b"root:x:0:0:",
    b"root:*:0:0:",
    b"AGE-SECRET-KEY-1",
    b"PRIVATE KEY-----",
    b"SQLite format 3\x00",
    b'"pid":',
)
_TARGETS = ("etc%2fpasswd", "server.json", "keys%2fpacket-identity.txt", "server.db")


def traversal_payloads() -> list[str]:
    """Path-segment payloads as they go on the wire: dot segments plain, %-encoded, double-encoded,
    backslashed, and absolute paths."""
    deep = "..%2f" * 8
    payloads = [
        "../../../../../../../../etc/passwd",
        deep + "etc%2fpasswd",
        "%2e%2e%2f" * 8 + "etc%2fpasswd",
        "%252e%252e%252f" * 8 + "etc%252fpasswd",
        "..%5c" * 8 + "etc%5cpasswd",
        "....%2f%2f" * 8 + "etc%2fpasswd",
        "%2fetc%2fpasswd",
        "%2f%2fetc%2fpasswd",
    ]
    for target in _TARGETS[1:]:
        payloads += ["..%2f" * depth + target for depth in range(0, 4)]
    return payloads


def _plain(schema: dict) -> dict:
    return next(
        (o for o in schema.get("anyOf", []) if isinstance(o, dict) and o.get("type") != "null"), schema
    )


def _free_text(schema: dict) -> bool:
    """A string parameter that could carry a path (enums and integers cannot)."""
    plain = _plain(schema)
    return plain.get("type", "string") == "string" and "enum" not in plain and "enum" not in schema


def _leak(reply: Reply) -> bytes | None:
    if not 200 <= reply.status < 300:
        return None
    return next((m for m in LEAK_MARKERS if m in reply.body), None)


def check_traversal(rig: Rig, out: Outcome) -> None:
    """Every GET/HEAD operation with a string path or query parameter, each payload in each such
    parameter (with the strongest token on secured ones), plus the static and update file trees."""
    user = rig.strongest()
    payloads = traversal_payloads()
    targets: list[tuple[str, str, str | None]] = []  # (label, raw path, token)
    for op in rig.operations:
        if op.method not in ("GET", "HEAD"):
            continue
        allowed = allowed_roles(op.method, op.path)
        token = user.token if op.secured and user and allowed and not user.roles.isdisjoint(allowed) else None
        if op.secured and token is None:
            continue  # refused before any path handling; the anonymous check covers it
        strings = [p for p in op.params if p.where in ("path", "query") and _free_text(p.schema)]
        plain = {p.name: quote(plausible(p.schema, p.name), safe="") for p in op.params if p.where == "path"}
        for param in strings:
            # a parameter the document says is pattern-checked gets two payloads (is the pattern held?)
            for payload in payloads if not _plain(param.schema).get("pattern") else payloads[1:3]:
                query = {k: quote(v, safe="") for k, v in op.query().items()}
                path = op.path_with(plain)
                if param.where == "path":
                    path = op.path_with({**plain, param.name: payload})
                else:
                    query[param.name] = payload
                line = "&".join(f"{k}={v}" for k, v in query.items())
                targets.append((f"{op.name} ({param.name})", path + (f"?{line}" if line else ""), token))
    for base in ("/console/static/", "/updates/", "/"):
        targets += [(f"GET {base}…", base + payload, None) for payload in payloads]
    room = max(0, rig.options.request_budget - rig.target.sent)
    if len(targets) > room:
        out.note("request budget reached")
        targets = targets[:room]

    def send(item: tuple[str, str, str | None]) -> rawhttp.RawReply:
        _, raw_path, token = item
        headers = [f"Authorization: Bearer {token}"] if token else []
        head = rawhttp.request_head(rig.target, "GET", raw_path, [*headers, "Connection: close"])
        return rawhttp.exchange(rig.target, head, timeout=10)

    for (label, raw_path, _), reply in zip(targets, parallel(targets, send), strict=True):
        out.probes += 1
        leaked = _leak(Reply(reply.status, body=reply.body))
        if leaked:
            out.find(
                "high",
                label,
                "path traversal returns file contents",
                f"GET {raw_path} -> {reply.status}, body has {leaked!r}",
            )
        elif reply.status >= 500:
            out.find(
                "low",
                label,
                "path traversal payload causes a server error",
                f"GET {raw_path} -> {reply.brief()}",
            )


def _missing(reply: Reply, *, https: bool, html: bool) -> list[str]:
    problems = []
    if (reply.header("x-content-type-options") or "").lower() != "nosniff":
        problems.append("X-Content-Type-Options: nosniff")
    csp = reply.header("content-security-policy") or ""
    if not csp:
        problems.append("Content-Security-Policy")
    frame = (reply.header("x-frame-options") or "").upper()
    if frame not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in csp:
        problems.append("X-Frame-Options or CSP frame-ancestors")
    if (reply.header("referrer-policy") or "").lower() not in _GOOD_REFERRER:
        problems.append("Referrer-Policy (no-referrer, same-origin or strict-origin)")
    if html and csp and re.search(r"script-src[^;]*'unsafe-(inline|eval)'", csp):
        problems.append("CSP without 'unsafe-inline'/'unsafe-eval' scripts")
    if https and "max-age" not in (reply.header("strict-transport-security") or ""):
        problems.append("Strict-Transport-Security")
    server = reply.header("server") or ""
    if _VERSION.search(server):
        problems.append(f"no version in Server (it says {server!r})")
    if reply.header("x-powered-by"):
        problems.append("no X-Powered-By")
    return problems


def check_security_headers(rig: Rig, out: Outcome) -> None:
    """API answers (success, 401, 404) and the public console pages."""
    secured = next(
        (op for op in rig.operations if op.secured and op.method == "GET" and "{" not in op.path), None
    )
    probes: list[tuple[str, str, bool]] = [
        ("GET", "/health", False),
        ("GET", "/api/v1/rig-missing-route", False),
    ]
    probes += [("GET", p, True) for p in PUBLIC_PAGES]
    if secured:
        probes.append(("GET", secured.path, False))
    for method, path, html in probes:
        reply = rig.target.request(method, path, max_bytes=16 * 1024)
        out.probes += 1
        if reply.status == 0:
            out.note(f"{method} {path}: {reply.brief()}")
            continue
        is_html = html or (reply.header("content-type") or "").startswith("text/html")
        problems = _missing(reply, https=rig.target.https, html=is_html)
        if problems:
            severity = "medium" if is_html else "low"
            out.find(severity, f"{method} {path} ({reply.status})", "missing: " + "; ".join(problems))


def check_header_flood(rig: Rig, out: Outcome) -> None:
    """500 small headers, one 100 KB header, 1 MiB of headers: a 4xx (431) or a closed connection,
    never a 2xx, a 5xx or a hang."""
    cases = [
        ("500 headers", [f"X-Rig-{i}: 1" for i in range(500)], True),
        ("one 100 KB header", ["X-Rig: " + "a" * 100_000], True),
        ("1 MiB of headers", [f"X-Rig-{i}: {'b' * 250}" for i in range(4096)], False),
    ]
    for how, headers, must_answer in cases:
        reply = rawhttp.exchange(
            rig.target,
            rawhttp.request_head(rig.target, "GET", "/health", [*headers, "Connection: close"]),
            timeout=15,
        )
        out.probes += 1
        if 400 <= reply.status < 500:
            out.note(f"{how}: {reply.status}")
        elif reply.status == 0 and reply.error != "timeout" and not must_answer:
            out.note(f"{how}: connection closed without an answer")
        elif 200 <= reply.status < 300:
            out.find("medium", "GET /health", f"{how} accepted (no header limit)", reply.brief())
        else:
            out.find("medium", "GET /health", f"{how}: server error, hang or no answer", reply.brief())
