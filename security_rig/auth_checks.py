"""Tokens and sessions: garbage and tampered bearer tokens, token lifetimes, machine challenge replay,
a console session replayed after sign-out, and a revoked machine's token."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from urllib.parse import urlsplit

import requests

from security_rig import credentials
from security_rig.access import CONSOLE_ROLES, MACHINE, SIGN_IN_PAGE, allowed_roles
from security_rig.context import Rig
from security_rig.credentials import API, MachineSession
from security_rig.openapi import Operation
from security_rig.report import Outcome
from security_rig.target import Reply
from shared.signing import generate_private_key, sign_b64

_CSRF = re.compile(r'name="csrf"\s+value="([^"]{8,200})"')


def _baseline(rig: Rig, token: str, roles: frozenset[str]) -> Operation | None:
    """A secured GET without path parameters that ``token`` reaches (200): the probe for token tricks."""
    for op in rig.operations:
        if op.method != "GET" or not op.secured or "{" in op.path or op.query():
            continue
        allowed = allowed_roles(op.method, op.path)
        if allowed is None or roles.isdisjoint(allowed):
            continue
        if rig.target.request("GET", op.path, token=token, max_bytes=4096).status == 200:
            return op
    return None


def _tampered(token: str) -> list[tuple[str, str]]:
    flip = {c: d for c, d in zip("AaBb0-_", "BbAa1_-", strict=True)}
    return [
        ("last character changed", token[:-1] + flip.get(token[-1], "A")),
        ("first character changed", flip.get(token[0], "A") + token[1:]),
        ("one character short", token[:-1]),
        ("one character more", token + "A"),
        ("upper-cased", token.upper() if token.upper() != token else token.lower()),
    ]


def _lifetime(expires_at: str) -> float | None:
    try:
        when = dt.datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - dt.datetime.now(dt.UTC)).total_seconds()


def check_tokens(rig: Rig, out: Outcome) -> None:
    """Garbage and tampered bearer tokens are refused; tokens are short-lived and never cached."""
    held = [(u.username, u.token, u.roles, u.expires_at) for u in rig.users]
    if rig.machine and rig.machine.token:
        held.append((f"machine {rig.machine.machine_id}", rig.machine.token, frozenset({MACHINE}), ""))
    probe_op, real = None, None
    for who, token, roles, _ in held:
        probe_op = _baseline(rig, token, roles)
        if probe_op:
            real = (who, token)
            break
    if probe_op is None:  # no usable credential: any secured GET still has to refuse garbage
        probe_op = next(
            (op for op in rig.operations if op.secured and op.method == "GET" and "{" not in op.path), None
        )
    if probe_op is None:
        out.skip("the document has no secured GET operation without parameters")
        return
    path = probe_op.path
    garbage = [
        ("garbage bearer", {"Authorization": "Bearer garbage"}),
        ("empty bearer", {"Authorization": "Bearer "}),
        ("4 KiB random bearer", {"Authorization": "Bearer " + secrets.token_urlsafe(3072)}),
        ("basic credentials", {"Authorization": "Basic YWRtaW46YWRtaW4tZGVtbw=="}),
        ("bearer null", {"Authorization": "Bearer null"}),
    ]
    if real:
        garbage += [
            (f"{real[0]}'s token, {how}", {"Authorization": f"Bearer {t}"}) for how, t in _tampered(real[1])
        ]
    for how, headers in garbage:
        reply = rig.target.request("GET", path, headers=headers, max_bytes=4096)
        out.probes += 1
        if reply.status not in (401, 403):
            out.find("high", f"GET {path}", f"a {how} is not refused", reply.brief())
    if real:
        reply = rig.target.request(
            "GET", path, params={"access_token": real[1], "token": real[1]}, max_bytes=4096
        )
        out.probes += 1
        if reply.status == 200:
            out.find(
                "medium",
                f"GET {path}",
                "a token in the query string authenticates (it ends up in logs)",
                reply.brief(),
            )
    else:
        out.note("no credential reached a secured operation: tampered-token probes skipped")
    for who, _token, roles, expires_at in held:
        if not expires_at:
            continue
        seconds = _lifetime(expires_at)
        bound = (
            rig.options.max_machine_token_lifetime_s if MACHINE in roles else rig.options.max_token_lifetime_s
        )
        if seconds is None:
            out.find("low", f"token of {who}", "expires_at is not an ISO date", expires_at)
        elif seconds > bound:
            out.find(
                "medium",
                f"token of {who}",
                f"lives {seconds / 3600:.1f} h (bound {bound / 3600:.1f} h)",
                expires_at,
            )
    for reply in rig.login_replies:
        if "no-store" not in (reply.header("cache-control") or ""):
            out.find(
                "low",
                "POST /api/v1/auth/login",
                "the token answer may be cached (no Cache-Control: no-store)",
            )
            break
    out.note(f"token probes on GET {path}; the API has no logout (tokens end at expires_at or when revoked)")


def check_challenge_replay(rig: Rig, out: Outcome) -> None:
    """A signed challenge works once; other keys, other texts and made-up challenges never."""
    machine = rig.machine
    if machine is None or not machine.token:
        out.skip(
            "no approved machine (give one in FILE, or an admin user so the rig can enrol and approve one)"
        )
        return
    text, reply = credentials.challenge(rig.target, machine.machine_id)
    out.probes += 1
    if text is None:
        out.skip(f"no challenge issued: {reply.brief()}")
        return
    signature = credentials.sign(machine, text)
    first = credentials.machine_token(rig.target, machine, text, signature)
    again = credentials.machine_token(rig.target, machine, text, signature)
    out.probes += 2
    if first.status != 200:
        out.skip(f"a correctly signed challenge was refused: {first.brief()}")
        return
    _refused(out, again, "the same signed challenge traded twice", "a challenge works more than once")
    cases = [
        ("a signature by another key", lambda t: sign_b64(generate_private_key(), t.encode())),
        ("a signature over other text", lambda t: credentials.sign(machine, t + "x")),
    ]
    for how, make in cases:
        text, reply = credentials.challenge(rig.target, machine.machine_id)
        out.probes += 1
        if text is None:
            out.note(f"no challenge for '{how}': {reply.brief()}")
            continue
        answer = credentials.machine_token(rig.target, machine, text, make(text))
        out.probes += 1
        _refused(out, answer, how, "a wrongly signed challenge is accepted")
    made_up = secrets.token_urlsafe(32)
    answer = credentials.machine_token(rig.target, machine, made_up, credentials.sign(machine, made_up))
    out.probes += 1
    _refused(out, answer, "a challenge the server never issued", "a made-up challenge is accepted")


def _refused(out: Outcome, reply: Reply, how: str, summary: str) -> None:
    if reply.status == 200:
        out.find("high", "POST /api/v1/auth/machine-token", summary, how)
    elif reply.status >= 500 or reply.status == 0:
        out.find("medium", "POST /api/v1/auth/machine-token", f"{how}: server error", reply.brief())


def check_console_logout(rig: Rig, out: Outcome) -> None:
    """Sign in to the console with a password, sign out, replay the old cookie: it must not work."""
    user = next((u for u in rig.users if u.roles & CONSOLE_ROLES), None)
    if user is None:
        out.skip("no console user in FILE")
        return
    browser = requests.Session()
    browser.trust_env = False
    form = rig.target.request("GET", SIGN_IN_PAGE, session=browser)
    match = _CSRF.search(form.body.decode("utf-8", "replace"))
    out.probes += 1
    if form.status != 200 or not match:
        out.skip(f"no sign-in form at {SIGN_IN_PAGE}: {form.status}")
        return
    fields = {"username": user.username, "password": user.credential.password, "csrf": match.group(1)}
    signed = rig.target.request("POST", SIGN_IN_PAGE, data=fields, session=browser)
    out.probes += 1
    landing = urlsplit(signed.header("location") or "")
    if (
        signed.status not in (302, 303)
        or not landing.path.startswith("/")
        or (landing.netloc and landing.hostname != rig.target.host)
    ):
        out.skip(f"console sign-in as {user.username} did not open a session: {signed.status}")
        return
    cookie = signed.header("set-cookie") or ""
    if cookie and "httponly" not in cookie.lower():
        out.find(
            "medium",
            f"POST {SIGN_IN_PAGE}",
            "the session cookie is readable by scripts (no HttpOnly)",
            cookie[:120],
        )
    if rig.target.https and cookie and "secure" not in cookie.lower():
        out.find(
            "medium",
            f"POST {SIGN_IN_PAGE}",
            "the session cookie may travel over plain http (no Secure)",
            cookie[:120],
        )
    page = rig.target.request("GET", landing.path, session=browser)
    match = _CSRF.search(page.body.decode("utf-8", "replace"))
    out.probes += 1
    if page.status != 200 or not match:
        out.skip(f"{landing.path} gave no form to sign out from: {page.status}")
        return
    saved = browser.cookies.get_dict()
    out_reply = rig.target.request(
        "POST", "/console/sign-out", data={"csrf": match.group(1)}, session=browser
    )
    replay = rig.target.request("GET", landing.path, cookies=saved)
    out.probes += 2
    if out_reply.status not in (302, 303):
        out.note(f"sign-out answered {out_reply.status}")
    if replay.status == 200:
        out.find(
            "high",
            f"GET {landing.path}",
            "the console session cookie still works after sign-out",
            replay.brief(),
        )


def check_revoked_machine_token(rig: Rig, out: Outcome) -> None:
    """Revoke the rig's own test machine (clean-up); its token must stop working at once."""
    machine, manager = rig.machine, rig.manager()
    if machine is None or not machine.enrolled_by_rig or not machine.token or manager is None:
        out.skip("needs a test machine the rig enrolled and an admin (or center admin) to revoke it")
        return
    if not revoke(rig, machine.machine_id):
        out.skip(f"could not revoke machine {machine.machine_id}")
        return
    out.probes += 1
    reply = rig.target.request("GET", f"{API}/masterdata/changes", token=machine.token, max_bytes=4096)
    out.probes += 1
    if reply.status not in (401, 403):
        out.find(
            "high", "GET /api/v1/masterdata/changes", "a revoked machine's token still works", reply.brief()
        )
    text, _ = credentials.challenge(rig.target, machine.machine_id)
    if text is not None:
        again = credentials.machine_token(rig.target, machine, text, credentials.sign(machine, text))
        out.probes += 1
        if again.status == 200:
            out.find(
                "high",
                "POST /api/v1/auth/machine-token",
                "a revoked machine still gets tokens",
                again.brief(),
            )


def revoke(rig: Rig, machine_id: str) -> bool:
    manager = rig.manager()
    if manager is None:
        return False
    reply = rig.target.request(
        "POST",
        f"{API}/admin/machines/{machine_id}/reject",
        token=manager.token,
        json={"reason": "security rig clean-up"},
    )
    if reply.status == 200 and machine_id in rig.created_machines:
        rig.created_machines.remove(machine_id)
    return reply.status == 200


def approve(rig: Rig, machine: MachineSession) -> Reply | None:
    manager = rig.manager()
    if manager is None:
        return None
    return rig.target.request(
        "POST",
        f"{API}/admin/machines/{machine.machine_id}/approve",
        token=manager.token,
        json={"reason": "security rig test machine"},
    )
