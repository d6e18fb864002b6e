"""``python -m demo.console_screenshots OUT``: every web-console page, in English and Arabic, at
1280x800 and at a tablet's 768 px, from a real headless chromium against a real server that the
headless demo filled (machines, users, packets processed to UINs, a report run).

The admin signs in through the real steps (the TOTP key is read off the enrolment page). Files:
OUT/<nn>-<page>-<lang>-<width>.png. Look at each one before committing them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyotp
from PIL import Image

from demo.browser import make_driver, submit_and_wait
from demo.headless import start_server, stop

SIZES = ((1280, 800), (768, 1024))
LANGS = ("eng", "ara")
# (name, path): the pages a head-office user sees, in navigation order, plus the detail pages
PAGES = (
    ("dashboard", "/console/"),
    ("machines", "/console/machines"),
    ("users", "/console/users"),
    ("users-new", "/console/users/new"),
    ("masterdata", "/console/masterdata"),
    ("masterdata-changes", "/console/masterdata/changes"),
    ("masterdata-schema", "/console/masterdata/schema"),
    ("masterdata-uispec", "/console/masterdata/ui-spec"),
    ("packets", "/console/packets"),
    ("identities", "/console/identities"),
    ("audit", "/console/audit"),
    ("adjudication", "/console/adjudication"),
    ("reports", "/console/reports"),
    ("reports-new", "/console/reports/new"),
    ("reports-connectors", "/console/reports/connectors"),
    ("reports-destinations", "/console/reports/destinations"),
    ("reports-mappings", "/console/reports/mappings"),
)


def _submit(driver, selector: str = "main form button[type=submit]") -> None:
    from selenium.webdriver.common.by import By

    submit_and_wait(driver, driver.find_element(By.CSS_SELECTOR, selector))


def _sign_in(driver, url: str, out: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/console/sign-in")
    driver.find_element(By.ID, "username").send_keys("admin")
    driver.find_element(By.ID, "password").send_keys("admin-demo")
    _submit(driver)
    if driver.current_url.endswith("/enrol"):
        _shoot(driver, out, "00-enrol-totp-eng-1280")
        secret = driver.find_element(By.ID, "totp-secret").text.replace(" ", "")
        driver.find_element(By.ID, "code").send_keys(pyotp.TOTP(secret).now())
        _submit(driver)


def _shoot(driver, out: Path, name: str) -> None:
    driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 600)")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(int(height) + 120, 4000))
    path = out / f"{name}.png"
    driver.save_screenshot(str(path))
    # 256 colours lose nothing visible on these flat pages and keep docs/ small
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def _details(driver, url: str, out: Path, *, start: int) -> None:
    """A packet's timeline, a report's page and one run's details after a run now, the editor of a
    report, and a master-data validation report."""
    from selenium.webdriver.common.by import By

    driver.set_window_size(*SIZES[0])
    driver.get(f"{url}/console/packets?lang=eng")
    rid = driver.find_element(By.CSS_SELECTOR, "main table tbody a").text
    driver.get(f"{url}/console/reports?lang=eng")
    _submit(driver, "main table form button[type=submit]")
    time.sleep(2)
    bad = Path(tempfile.mkdtemp()) / "centers.csv"
    bad.write_text("id,name,location_id,timezone,active\n1234,Too short,R1P1C1,UTC,true\n", encoding="utf-8")
    for lang in LANGS:
        driver.get(f"{url}/console/packets/{rid}?lang={lang}")
        _shoot(driver, out, f"{start:02d}-packet-detail-{lang}-1280")
        driver.get(f"{url}/console/reports/daily-registrations?lang={lang}")
        _shoot(driver, out, f"{start + 1:02d}-report-runs-{lang}-1280")
        run = driver.find_element(By.CSS_SELECTOR, "main a[href*='/console/reports/runs/']").get_attribute(
            "href"
        )
        driver.get(f"{run.split('?')[0]}?lang={lang}")
        _shoot(driver, out, f"{start + 2:02d}-report-run-{lang}-1280")
        driver.get(f"{url}/console/reports/daily-registrations/edit?lang={lang}")
        _shoot(driver, out, f"{start + 3:02d}-report-edit-{lang}-1280")
        driver.get(f"{url}/console/masterdata?lang={lang}")
        driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(bad))
        _submit(driver)
        _shoot(driver, out, f"{start + 4:02d}-masterdata-report-{lang}-1280")


def take(out: Path, url: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    driver = make_driver()
    try:
        driver.get(f"{url}/console/sign-in?lang=eng")
        _shoot(driver, out, "00-sign-in-eng-1280")
        driver.get(f"{url}/console/sign-in?lang=ara")
        _shoot(driver, out, "00-sign-in-ara-1280")
        driver.get(f"{url}/console/sign-in?lang=eng")
        _sign_in(driver, url, out)
        for n, (name, path) in enumerate(PAGES, start=1):
            for lang in LANGS:
                for width, height in SIZES:
                    driver.set_window_size(width, height)
                    driver.get(f"{url}{path}?lang={lang}")
                    _shoot(driver, out, f"{n:02d}-{name}-{lang}-{width}")
        _details(driver, url, out, start=len(PAGES) + 1)
    finally:
        driver.quit()
    return sorted(out.glob("*.png"))


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/screenshots/console")
    with tempfile.TemporaryDirectory(prefix="openreg-console-shots-") as tmp:
        data = Path(tmp)
        # the headless demo: a kiosk registers people through a real server, which issues UINs
        subprocess.run(
            [sys.executable, "-m", "shared", "demo", "--headless", "--data", str(data)], check=True
        )
        server, url = start_server(data / "server", echo=print)
        try:
            files = take(out, url)
        finally:
            stop(server)
    print(f"{len(files)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
