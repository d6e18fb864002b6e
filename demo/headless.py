"""``openreg demo --headless``: the whole system on one machine, scripted end to end.

The server and the kiosk keep their files in separate folders (DATA/server, DATA/client) as on two
machines. The SBI simulator (demo.sbi_simulator, its own process) is used when it starts: the kiosk's
settings trust its device CA and name its port, and the kiosk captures through the devices
``build_client`` wires, as the window does; otherwise generated sample biometric records stand in for
captures. Exit status 0 only if every packet reached the server intact.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from client.core.bootstrap import ClientApp, build_client
from client.core.capture import DeviceCapture
from client.core.registration.biometrics import CAPTURE_GROUPS, BiometricCapture
from client.core.settings import ClientSettings
from client.core.totp import totp_code
from demo.samples import capture_group, document_scan, sample_person
from device_drivers.sbi import PORT_RANGE

CENTER_ID = "10001"
SERVER_START_TIMEOUT_S = 30.0
# Demo credentials, as documented in docs/demo-data.md (H-server's demo master data).
OPERATOR = os.environ.get("OPENREG_DEMO_OPERATOR", "operator1")
OPERATOR_PASSWORD = os.environ.get("OPENREG_DEMO_OPERATOR_PASSWORD", "operator1-demo")
SUPERVISOR = os.environ.get("OPENREG_DEMO_SUPERVISOR", "supervisor1")
SUPERVISOR_PASSWORD = os.environ.get("OPENREG_DEMO_SUPERVISOR_PASSWORD", "supervisor1-demo")

Echo = Callable[[str], None]


def start_server(server_dir: Path, *, echo: Echo) -> tuple[subprocess.Popen, str]:
    """Start ``openreg server --port 0 --demo`` and wait for DIR/server.json with its URL."""
    server_dir.mkdir(parents=True, exist_ok=True)
    info = server_dir / "server.json"
    info.unlink(missing_ok=True)
    log = open(server_dir / "server.log", "ab")  # noqa: SIM115  (lives as long as the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "shared", "server", "--data", str(server_dir), "--port", "0", "--demo"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with {process.returncode}; see {server_dir / 'server.log'}"
            )
        try:
            url = json.loads(info.read_text())["url"]
            echo(f"server up at {url} (web console: {url}/console/, user admin, password admin-demo)")
            return process, url
        except (OSError, ValueError, KeyError):
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the server did not write server.json within 30 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def free_port_in(ports: range) -> int:
    """The first of ``ports`` free on 127.0.0.1."""
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def spawn_simulator(state_dir: Path, *, attempts: int = 3) -> tuple[subprocess.Popen, int] | None:
    """Start the SBI simulator as its own process on a free SBI port and wait until it is ready; return
    (process, port), or None if it did not come up. It trusts ``state_dir/ca.pem`` as the device CA. A
    simulator that exits at once lost its port to another program between probe and listen: the next
    free port is tried."""
    state_dir.mkdir(parents=True, exist_ok=True)
    for _ in range(attempts):
        port = free_port_in(PORT_RANGE)
        process = subprocess.Popen(
            [sys.executable, "-m", "demo.sbi_simulator", "--port", str(port), "--state-dir", str(state_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            if (state_dir / f"simulator-{port}.json").exists():
                return process, port
            time.sleep(0.05)
        exited = process.poll() is not None
        stop(process)
        if not exited:
            break  # too slow rather than refused: another port would not help
    return None


def simulator_settings(started: tuple[subprocess.Popen, int] | None, state_dir: Path) -> dict[str, object]:
    """The kiosk's device settings for a started simulator: trust its device CA, look on its port only."""
    if started is None:
        return {}
    return {"device_ca_file": state_dir / "ca.pem", "sbi_ports": (started[1], started[1])}


def usable_devices(app: ClientApp, *, echo: Echo) -> DeviceCapture | None:
    """The kiosk's devices if they capture every modality, else None (generated samples are used)."""
    if app.devices is None:
        echo("device simulator not available; using generated sample biometrics")
        return None
    try:
        found = app.devices.status()
    except Exception as exc:
        found, problem = {}, str(exc)
    else:
        problem = ", ".join(
            sorted({"finger", "iris", "face"} - {m for m, s in found.items() if s == "ready"})
        )
    if problem:
        echo(f"device simulator unusable ({problem}); using generated sample biometrics")
        return None
    port = app.settings.sbi_ports[0]
    echo(f"device simulator on port {port}: {', '.join(sorted(found))}")
    return app.devices


def _first(app: ClientApp, entity: str, **match: str) -> str:
    for row in app.master_data.rows(entity):
        if all(row.get(k) == v for k, v in match.items()):
            return row["id"]
    raise RuntimeError(f"demo master data has no {entity} matching {match}")


def _locations(app: ClientApp) -> dict[str, str]:
    rows = app.master_data.rows("locations")
    by_parent: dict[str | None, list[dict]] = {}
    for row in rows:
        by_parent.setdefault(row.get("parent_id"), []).append(row)
    chain: dict[str, str] = {}
    parent = None
    for field, level in (
        ("region", "region"),
        ("province", "province"),
        ("city", "city"),
        ("postalCode", "postal_code"),
    ):
        candidates = [
            r for r in rows if r.get("level") == level and (parent is None or r.get("parent_id") == parent)
        ]
        if not candidates:
            break
        chain[field] = parent = candidates[0]["id"]
    return chain


def _captures(
    devices: DeviceCapture | None, group: str, *, seed: int, missing: str | None
) -> list[BiometricCapture]:
    """One capture group: from the kiosk's devices (the missing finger marked as an exception), else generated."""
    if devices is None:
        return [r for r in capture_group(group, seed=seed) if r.bio_subtype != missing]
    return devices.capture_group(group, exceptions=tuple(s for s in CAPTURE_GROUPS[group][1] if s == missing))


def register_people(
    app: ClientApp, *, count: int, echo: Echo, devices: DeviceCapture | None = None
) -> list[str]:
    """Log in as the demo operator and register ``count`` sample people end to end; return their RIDs.
    Biometrics come from ``devices`` when given, else from generated samples."""
    operator = app.authentication.login(user_id=OPERATOR, password=OPERATOR_PASSWORD)
    gender = _first(app, "genders")
    locations = _locations(app)
    rids = []
    for index in range(count):
        person = sample_person(index, locations=locations, gender=gender)
        reg = app.registrations.start(session=operator)
        result = reg.submit_demographics(person.demographics)
        if not result.ok:
            raise RuntimeError(f"sample person {index} rejected by the form: {result.errors}")
        reg.add_document(
            field_id="proofOfIdentity",
            doc_type=_doc_type(app),
            name="passport.jpg",
            content_type="image/jpeg",
            data=document_scan(index),
        )
        docs = reg.submit_documents()
        if not docs.ok:
            raise RuntimeError(f"documents refused: {docs.errors}")
        for group in CAPTURE_GROUPS:
            records = _captures(devices, group, seed=index * 100 + len(group), missing=person.missing_finger)
            reg.record_capture(group=group, records=records)
        if person.missing_finger:
            reg.mark_exception(modality="finger", bio_subtype=person.missing_finger, reason="amputated")
            reg.set_exception_photo(document_scan(1000 + index, target_bytes=40_000))
        problems = reg.submit_biometrics()
        if problems:
            raise RuntimeError(f"biometrics incomplete: {problems}")
        if reg.step == "supervisor_approval":
            secret = (app.master_data.get("users", SUPERVISOR) or {}).get("totp_secret")
            code = totp_code(secret) if secret else None
            supervisor = app.authentication.supervisor_approval(
                user_id=SUPERVISOR, password=SUPERVISOR_PASSWORD, totp=code, purpose=f"exception:{index}"
            )
            reg.approve_by_supervisor(supervisor_id=supervisor)
        reg.preview()
        finished = app.registrations.finish(session=operator, registration=reg)
        echo(
            f"registered {finished.rid} ({person.demographics['fullName']}, {finished.size} bytes sealed"
            f"{', exception approved by ' + str(reg.supervisor_id) if reg.supervisor_id else ''})"
        )
        rids.append(finished.rid)
    return rids


def _doc_type(app: ClientApp) -> str:
    rows = app.master_data.rows("document_types")
    poi = [r for r in rows if r.get("category_id") == "POI"] or rows
    return poi[0]["id"] if poi else "passport"


# Server states that mean the packet arrived whole (a processing rejection is an answer, not a loss).
REACHED_SERVER = {"received", "processing", "processed", "rejected"}


def wait_for_outcomes(app: ClientApp, agent, rids: list[str], *, timeout_s: float) -> list[dict]:
    """Poll the server until every packet is processed, rejected or waiting for a person (an
    adjudicator, or more information from the center), or the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        agent.poll_statuses()
        outcomes = app.registrations.outcomes(rids=rids)
        if all(_answered(o) for o in outcomes):
            return outcomes
        if time.monotonic() > deadline:
            return outcomes
        time.sleep(0.3)


WAITING_FOR_A_PERSON = {"adjudication", "more_information"}


def _answered(outcome: dict) -> bool:
    return outcome.get("server_status") in {"processed", "rejected"} or (
        outcome.get("server_reason_code") in WAITING_FOR_A_PERSON
    )


def describe(outcome: dict) -> str:
    if outcome.get("server_status") == "processed":
        return f"UIN {outcome['uin']}"
    if outcome.get("server_reason_code") in WAITING_FOR_A_PERSON:
        return f"held ({outcome['server_reason_code']}): {outcome.get('server_reason') or ''}"
    if outcome.get("server_status") == "rejected":
        code = outcome.get("server_reason_code")
        return f"rejected{f' ({code})' if code else ''}: {outcome.get('server_reason') or 'no reason given'}"
    return outcome.get("server_status") or outcome["status"]


def run_headless_demo(*, data_dir: Path, count: int = 4, echo: Echo = print) -> int:
    started = time.monotonic()
    data_dir = data_dir.resolve()
    server, url = start_server(data_dir / "server", echo=echo)
    simulator = spawn_simulator(data_dir / "devices")
    app: ClientApp | None = None
    try:
        settings = ClientSettings(
            data_dir=data_dir / "client",
            server_url=url,
            keyring_file=data_dir / "client" / "demo-keyring.cfg",
            **simulator_settings(simulator, data_dir / "devices"),
        )
        app = build_client(settings)
        identity = app.machine.identity()
        if identity.enrolled:  # a second demo run: enrolling again would need a supervisor
            echo(f"kiosk already enrolled as machine {identity.machine_id} at center {identity.center_id}")
        else:
            identity = app.enrolment().wait_for_approval(center_id=CENTER_ID, timeout_s=20, poll_s=0.5)
            echo(f"kiosk enrolled as machine {identity.machine_id} at center {identity.center_id}")
        app.close()
        app = build_client(settings)  # reopen so services see the enrolled center
        synced = app.master_data_sync().sync(progress=lambda p: None)
        echo(
            f"master data synced: {synced.rows} rows ({', '.join(f'{k} {v}' for k, v in sorted(synced.entities.items()))})"
        )
        rids = register_people(app, count=count, echo=echo, devices=usable_devices(app, echo=echo))
        supervisor = app.authentication.login(user_id=SUPERVISOR, password=SUPERVISOR_PASSWORD)
        for pending in app.end_of_day.pending(session=supervisor):
            app.end_of_day.approve(session=supervisor, rid=pending["rid"])
        echo(f"supervisor {SUPERVISOR} approved {len(rids)} packets at end of day")
        report = app.upload_agent().upload_approved(progress=None)
        outcomes = wait_for_outcomes(app, app.packet_outcomes(), rids, timeout_s=20)
        ok = report.ok
        for outcome in outcomes:
            ok &= outcome["status"] == "uploaded" and outcome["server_status"] in REACHED_SERVER
            echo(f"{outcome['rid']}  {describe(outcome)}")
        echo(f"{'OK' if ok else 'FAILED'}: {len(rids)} packets, {time.monotonic() - started:.1f} s")
        return 0 if ok else 1
    finally:
        if app:
            app.close()
        if simulator:
            stop(simulator[0])
        stop(server)
