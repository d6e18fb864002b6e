"""``python -m demo.console_screenshots_adjudication [OUT]``: the adjudication pages with real cases.

The headless demo registers its sample people (Amina Diallo first) through a real server; then the
same kiosk, with the SBI simulator's captures, registers Amina again as "Amina Dialo" (with a long
address, to show how long values wrap) and Jonas Okafor as "Jonas Okafur"; both are held as possible
duplicates. The demo adjudicator signs in through the real steps and the case list and the first
case are shot in English and Arabic at a desktop's 1280 px and a phone's 390 px.
Files: OUT/<page>-<lang>-<width>.png (OUT defaults to /tmp/adjudication). Look at each one.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from client.core.bootstrap import ClientApp, build_client
from client.core.registration.biometrics import CAPTURE_GROUPS
from client.core.settings import ClientSettings
from demo.browser import make_driver
from demo.console_screenshots import _shoot, _submit
from demo.headless import (
    OPERATOR,
    OPERATOR_PASSWORD,
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    _doc_type,
    _first,
    _locations,
    simulator_settings,
    spawn_simulator,
    start_server,
    stop,
    usable_devices,
)
from demo.samples import capture_group, document_scan, sample_person

SIZES = ((1280, 800), (390, 844))
LANGS = ("eng", "ara")
LONG_ADDRESS = (
    "Appartement 12, Résidence les Palmiers, 1234 Boulevard de l'Indépendance Nationale, "
    "Quartier Administratif Nord"
)
# (index of the headless demo's sample person, what changes): each is held against that person
AGAIN = ((0, {"fullName": "Amina Dialo", "addressLine": LONG_ADDRESS}), (1, {"fullName": "Jonas Okafur"}))


def register_again(app: ClientApp, *, echo=print) -> list[str]:
    """Register each of ``AGAIN`` through the kiosk's workflow, approve and upload; their RIDs."""
    operator = app.authentication.login(user_id=OPERATOR, password=OPERATOR_PASSWORD)
    devices = usable_devices(app, echo=echo)
    locations, gender = _locations(app), _first(app, "genders")
    rids = []
    for index, changes in AGAIN:
        person = sample_person(index, locations=locations, gender=gender).demographics | changes
        reg = app.registrations.start(session=operator)
        if not (result := reg.submit_demographics(person)).ok:
            raise RuntimeError(f"demographics refused: {result.errors}")
        reg.add_document(
            field_id="proofOfIdentity",
            doc_type=_doc_type(app),
            name="passport.jpg",
            content_type="image/jpeg",
            data=document_scan(500 + index),
        )
        if not (docs := reg.submit_documents()).ok:
            raise RuntimeError(f"documents refused: {docs.errors}")
        for group in CAPTURE_GROUPS:
            records = (
                devices.capture_group(group, exceptions=())
                if devices
                else capture_group(group, seed=700 + index)
            )
            reg.record_capture(group=group, records=records)
        if problems := reg.submit_biometrics():
            raise RuntimeError(f"biometrics incomplete: {problems}")
        reg.preview()
        rids.append(app.registrations.finish(session=operator, registration=reg).rid)
        echo(f"registered {rids[-1]} ({person['fullName']})")
    supervisor = app.authentication.login(user_id=SUPERVISOR, password=SUPERVISOR_PASSWORD)
    for pending in app.end_of_day.pending(session=supervisor):
        app.end_of_day.approve(session=supervisor, rid=pending["rid"])
    if not app.upload_agent().upload_approved(progress=None).ok:
        raise RuntimeError("upload failed")
    return rids


def wait_until_held(app: ClientApp, rids: list[str], *, timeout_s: float = 60) -> None:
    agent, deadline = app.packet_outcomes(), time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        agent.poll_statuses()
        outcomes = app.registrations.outcomes(rids=rids)
        if all(o.get("server_reason_code") == "adjudication" for o in outcomes):
            return
        time.sleep(0.3)
    raise RuntimeError(f"not held for adjudication: {app.registrations.outcomes(rids=rids)}")


def take(out: Path, url: str, rid: str) -> list[Path]:
    """Sign the demo adjudicator in and shoot the list and ``rid``'s case."""
    import pyotp
    from selenium.webdriver.common.by import By

    out.mkdir(parents=True, exist_ok=True)
    driver = make_driver()
    try:
        driver.get(f"{url}/console/sign-in?lang=eng")
        driver.find_element(By.ID, "username").send_keys("adjudicator")
        driver.find_element(By.ID, "password").send_keys("adjudicator-demo")
        _submit(driver)
        if driver.current_url.endswith("/enrol"):
            secret = driver.find_element(By.ID, "totp-secret").text.replace(" ", "")
            driver.find_element(By.ID, "code").send_keys(pyotp.TOTP(secret).now())
            _submit(driver)
        for name, path in (
            ("adjudication", "/console/adjudication"),
            ("adjudication-case", f"/console/adjudication/{rid}"),
        ):
            for lang in LANGS:
                for width, height in SIZES:
                    driver.set_window_size(width, height)
                    driver.get(f"{url}{path}?lang={lang}")
                    _shoot(driver, out, f"{name}-{lang}-{width}")
    finally:
        driver.quit()
    return sorted(out.glob("adjudication*.png"))


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "/tmp/adjudication")
    with tempfile.TemporaryDirectory(prefix="openreg-adjudication-shots-") as tmp:
        data = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "shared", "demo", "--headless", "--data", str(data)], check=True
        )
        server, url = start_server(data / "server", echo=print)
        simulator = spawn_simulator(data / "devices")
        app = None
        try:
            app = build_client(
                ClientSettings(
                    data_dir=data / "client",
                    server_url=url,
                    keyring_file=data / "client" / "demo-keyring.cfg",
                    **simulator_settings(simulator, data / "devices"),
                )
            )
            rids = register_again(app)
            wait_until_held(app, rids)
            files = take(out, url, rids[0])
        finally:
            if app:
                app.close()
            if simulator:
                stop(simulator[0])
            stop(server)
    print(f"{len(files)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
