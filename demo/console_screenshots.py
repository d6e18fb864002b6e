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

from demo.browser import make_driver
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
)


def _sign_in(driver, url: str) -> None:
    from selenium.webdriver.common.by import By

    def submit() -> None:
        button = driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
        button.click()
        for _ in range(100):
            try:
                button.is_enabled()
            except Exception:
                return
            time.sleep(0.1)

    driver.get(f"{url}/console/sign-in")
    driver.find_element(By.ID, "username").send_keys("admin")
    driver.find_element(By.ID, "password").send_keys("admin-demo")
    submit()
    if driver.current_url.endswith("/enrol"):
        secret = driver.find_element(By.ID, "totp-secret").text.replace(" ", "")
        driver.find_element(By.ID, "code").send_keys(pyotp.TOTP(secret).now())
        submit()


def _shoot(driver, out: Path, name: str) -> None:
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 600)")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(int(height) + 120, 4000))
    driver.save_screenshot(str(out / f"{name}.png"))


def take(out: Path, url: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    driver = make_driver()
    try:
        driver.get(f"{url}/console/sign-in?lang=eng")
        _shoot(driver, out, "00-sign-in-eng-1280")
        driver.get(f"{url}/console/sign-in?lang=ara")
        _shoot(driver, out, "00-sign-in-ara-1280")
        driver.get(f"{url}/console/sign-in?lang=eng")
        _sign_in(driver, url)
        for n, (name, path) in enumerate(PAGES, start=1):
            for lang in LANGS:
                for width, height in SIZES:
                    driver.set_window_size(width, height)
                    driver.get(f"{url}{path}?lang={lang}")
                    _shoot(driver, out, f"{n:02d}-{name}-{lang}-{width}")
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
