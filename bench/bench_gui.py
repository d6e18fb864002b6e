"""GUI figures: cold start to the login screen, Next -> next wizard page painted, live preview fps, and a
whole registration by a scripted keyboard-only officer (keys, machine seconds, slowest key-to-paint).

Goals (issue 6): start < 2 s, page change < 100 ms, preview >= 20 fps. Issue 14: the scripted
registration under 90 s of machine time, every key painted within 100 ms; its baseline, measured in the
same run, is the same registration through the core alone (same devices, no window). Runs offscreen; the machine is
shared with other work, so figures are under contention. Preview sources: the core's generated sample
stream (demo.samples), the SBI simulator's stream, and the OpenCV document camera on a video file.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import sys, time
from pathlib import Path
from client.core.bootstrap import build_client
from client.core.settings import ClientSettings
from client.ui.app import build_window, qt_app
app = qt_app()
data = Path(sys.argv[1])
client = build_client(ClientSettings(data_dir=data, keyring_file=data / "keyring.cfg", center_id="10001"))
window = build_window(client)
window.show()
window.screens["login"].repaint()
app.processEvents()
print(time.time())
window.ctx.ops.wait()
client.close()
"""


def cold_start(data_dir: Path, runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.time()
        out = (
            subprocess.run(
                [sys.executable, "-c", CHILD, str(data_dir)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        times.append(float(out) - started)
    return times


def measure_preview(app, page, seconds: float = 3.0) -> float:
    page._frames_shown = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
        time.sleep(0.002)
    return page._frames_shown / (time.perf_counter() - t0)


def preview_with_simulator(app, window, page, state_dir: Path) -> float:
    from client.core.bootstrap import device_capture
    from client.core.settings import ClientSettings
    from tests.support.sbi_simulator import launch_simulator

    state_dir.mkdir(parents=True, exist_ok=True)
    sim = launch_simulator(state_dir)
    source = None
    try:
        settings = ClientSettings(
            data_dir=state_dir, device_ca_file=sim.ca_pem, sbi_ports=(sim.port, sim.port)
        )
        source = device_capture(settings)
        source.status()  # discover, as the kiosk does when it opens
        window.ctx.devices = source
        page.hide()
        page.show()  # restart the preview timer on the new source
        measure_preview(app, page, 1.0)  # let the stream start
        return measure_preview(app, page)
    finally:
        if source is not None:
            source.close()
        sim.stop()


def preview_document_camera(app, work: Path, seconds: float = 3.0) -> float:
    """The document camera's live view (the widget the scanner shares): cv2.VideoCapture on a generated
    640x480 video through the OpenCV adapter, the capture port's preview feed and CameraView."""
    import cv2

    from client.core.bootstrap import device_capture
    from client.core.settings import ClientSettings
    from client.ui.camera_view import CameraView
    from demo.synthetic import synthetic_document

    video = work / "desk.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    for i in range(30):
        writer.write(synthetic_document(seed=i))
    writer.release()
    source = device_capture(ClientSettings(data_dir=work, document_camera=str(video)))
    source.status()
    view = CameraView(source=source, modality="document", name="bench_view")
    view.show()
    try:
        t0 = time.perf_counter()
        while view.frames_shown == 0 and time.perf_counter() - t0 < 5:
            app.processEvents()
            time.sleep(0.002)
        view.frames_shown = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            app.processEvents()
            time.sleep(0.002)
        return view.frames_shown / (time.perf_counter() - t0)
    finally:
        view.close()
        source.close()


def _devices(work: Path, sim):
    import cv2

    from demo.synthetic import synthetic_document
    from tests.support.devices import kiosk_devices

    camera = work / "camera"
    camera.mkdir(parents=True, exist_ok=True)
    for i in range(5):
        cv2.imwrite(str(camera / f"{i:03}.png"), synthetic_document(lines=("PASSPORT",), seed=i))
    return kiosk_devices(
        device_ca_file=sim.ca_pem, sbi_ports=(sim.port, sim.port), document_camera=str(camera)
    )


def registration_by_core(work: Path, sim) -> float:
    """The baseline: the scripted registration's work through the core services and the capture port
    (same devices, same person, same missing finger), with no window. Returns seconds."""
    from client.core.registration.biometrics import CAPTURE_GROUPS
    from demo.kiosk_fixture import OPERATOR, SUPERVISOR, seeded_kiosk

    client, devices = seeded_kiosk(work / "core-kiosk"), _devices(work / "core", sim)
    try:
        t0 = time.perf_counter()
        session = client.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
        reg = client.registrations.start(session=session)
        values = {
            "consent": "I_AGREE",
            "fullName": "Amina Diallo",
            "dateOfBirth": "1991-04-12",
            "gender": "FLE",
            "phone": "+000 555 0101",
        }
        values |= {
            "region": "R1",
            "province": "P1",
            "city": "C1",
            "postalCode": "Z1",
            "addressLine": "12 Palm Street",
        }
        assert reg.submit_demographics(values).ok
        for field_id in reg.document_fields():
            data, content_type = devices.capture_document()
            reg.add_document(
                field_id=field_id, doc_type="passport", name="d.jpg", content_type=content_type, data=data
            )
        reg.submit_documents()
        reg.mark_exception(modality="finger", bio_subtype="Left IndexFinger", reason="missing")
        for group in dict.fromkeys(g for g, _m, _s in reg.required_slots()):
            modality = CAPTURE_GROUPS[group][0]
            excepted = tuple(s for (m, s) in reg.exceptions if m == modality)
            reg.record_capture(group=group, records=devices.capture_group(group, exceptions=excepted))
        reg.set_exception_photo(devices.capture_group("face")[0].record)
        reg.submit_biometrics()
        reg.approve_by_supervisor(supervisor_id=SUPERVISOR[0])
        client.authentication.reauthenticate(session, password=OPERATOR[2], purpose="registration.sign_off")
        client.registrations.finish(session=session, registration=reg)
        return time.perf_counter() - t0
    finally:
        devices.close()
        client.close()


def registration_by_keyboard(work: Path, sim):
    """The scripted keyboard-only officer (demo.keyboard_registration) on a 1024x768 window."""
    from PySide6.QtWidgets import QApplication

    from client.ui.app import build_window
    from demo.keyboard_officer import KeyboardOfficer
    from demo.keyboard_registration import register_by_keyboard
    from demo.kiosk_fixture import seeded_kiosk

    client, devices = seeded_kiosk(work / "gui-kiosk"), _devices(work / "gui", sim)
    window = build_window(client, devices=devices)
    window.resize(1024, 768)
    window.show()
    window.activateWindow()
    officer = KeyboardOfficer(window)
    try:
        register_by_keyboard(officer, window)
        return officer
    finally:
        officer.done()
        window.close()
        window.ctx.ops.wait()
        window.deleteLater()  # gone before the devices and the store it shows
        QApplication.processEvents()
        devices.close()
        client.close()


def report_keyboard_registration(work: Path) -> None:
    from tests.support.sbi_simulator import launch_simulator

    sim = launch_simulator(work / "kbd-sim")
    try:
        core_s = registration_by_core(work, sim)
        officer = registration_by_keyboard(work, sim)
    finally:
        sim.stop()
    gui_s = officer.seconds
    print(
        f"keyboard-only registration: {officer.keys} keys, {gui_s:.1f} s machine time (goal < 90 s); "
        f"core alone {core_s:.1f} s, ratio {gui_s / core_s:.2f}"
    )
    slowest = sorted(officer.paints.items(), key=lambda kv: -kv[1])
    print(
        "  slowest key to paint per step: "
        + ", ".join(f"{step} {ms:.0f} ms" for step, ms in slowest)
        + f" (goal < 100 ms; {sum(ms >= 100 for _s, ms in slowest)} steps over)"
    )


def main() -> int:
    from client.ui.app import build_window, qt_app
    from client.ui.screens.biometrics_page import BiometricsPage
    from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON, SampleBiometricSource, seeded_kiosk

    app = qt_app()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "kiosk"
        client = seeded_kiosk(data)
        client.close()
        starts = cold_start(data)
        print(
            f"cold start to login painted: median {statistics.median(starts):.2f} s "
            f"(runs {', '.join(f'{s:.2f}' for s in starts)}; goal < 2 s)"
        )

        client = seeded_kiosk(data)
        source = SampleBiometricSource()
        window = build_window(client, devices=source)
        window.resize(1200, 820)
        window.show()
        ctx = window.ctx
        ctx.session = client.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
        window.show_screen("registration")
        wizard = window.screens["registration"]
        while not wizard.pages:
            app.processEvents()
            ctx.ops.wait(20)
        wizard.pages[0].set_values(SAMPLE_PERSON)
        changes = []
        for _ in range(20):
            t0 = time.perf_counter()
            wizard.next()
            wizard.stack.currentWidget().repaint()  # synchronous paint of the new page
            changes.append((time.perf_counter() - t0) * 1000)
            assert wizard.stack.currentIndex() == 1, wizard.message.text()
            wizard.back()
            app.processEvents()
        print(
            f"Next -> next page painted: median {statistics.median(changes):.1f} ms, "
            f"max {max(changes):.1f} ms over {len(changes)} (goal < 100 ms)"
        )

        docs = wizard.stack.currentWidget()
        wizard.next()
        scan = Path(tmp) / "doc.png"
        window.grab().save(str(scan))
        wizard.stack.currentWidget().types["proofOfIdentity"].setCurrentIndex(0)  # type before attaching
        wizard.stack.currentWidget().attach("proofOfIdentity", scan)
        wizard.next()
        bio = wizard.stack.currentWidget()
        assert isinstance(bio, BiometricsPage), docs
        fps = measure_preview(app, bio)
        print(f"live preview, generated frames: {fps:.1f} fps (timer 25 fps; goal >= 20 fps)")
        try:
            sim_fps = preview_with_simulator(app, window, bio, Path(tmp) / "sim")
            print(
                f"live preview, SBI simulator stream: {sim_fps:.1f} fps shown (goal >= 20 fps; the simulator"
                " sends ~28-30 fps)"
            )
        except Exception as exc:  # the simulator belongs to device_drivers; report instead of failing
            print(f"live preview, SBI simulator stream: not measured ({exc})")
        doc_fps = preview_document_camera(app, Path(tmp))
        print(
            f"live preview, document camera (OpenCV, 640x480 video): {doc_fps:.1f} fps shown (goal >= 20 fps)"
        )
        wizard.discard()  # else closing asks whether to discard the registration, and stays open
        window.close()
        ctx.ops.wait()
        window.deleteLater()
        app.processEvents()
        client.close()
        report_keyboard_registration(Path(tmp))
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
