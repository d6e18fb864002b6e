"""``openreg demo`` with a display: the demo server, the SBI simulator and the kiosk window over both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from client.core.settings import ClientSettings
from demo.headless import Echo, simulator_settings, spawn_simulator, start_server, stop


@contextmanager
def demo_backend(data_dir: Path, *, echo: Echo = print) -> Iterator[ClientSettings]:
    """Start the demo server and the SBI simulator (separate processes, as in the headless demo) and yield
    the kiosk's settings for DATA/client: pointed at the server, trusting the simulator's device CA and
    looking for SBI devices on its port. Both processes stop on exit."""
    data_dir = data_dir.resolve()
    server, url = start_server(data_dir / "server", echo=echo)
    simulator = spawn_simulator(data_dir / "devices")
    try:
        if simulator is None:
            echo("device simulator not available; biometrics cannot be captured")
        else:
            echo(f"device simulator on port {simulator[1]}")
        yield ClientSettings(
            data_dir=data_dir / "client",
            keyring_file=data_dir / "client" / "demo-keyring.cfg",
            server_url=url,
            **simulator_settings(simulator, data_dir / "devices"),
        )
    finally:
        if simulator is not None:
            stop(simulator[0])
        stop(server)


def run_gui_demo(*, data_dir: Path, echo: Echo = print) -> int:
    """The kiosk window over :func:`demo_backend`. A fresh kiosk opens on the setup screen (enrol,
    approval, first sync); registrations then capture biometrics from the simulator."""
    from client.ui.app import run_kiosk

    with demo_backend(data_dir, echo=echo) as settings:
        return run_kiosk(settings)
