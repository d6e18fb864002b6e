"""``openreg demo`` with a display: the demo server, the SBI simulator and the kiosk window over both."""

from __future__ import annotations

from pathlib import Path

from demo.headless import Echo, spawn_simulator, start_server, stop


def run_gui_demo(*, data_dir: Path, echo: Echo = print) -> int:
    """Start the demo server and the SBI simulator (separate processes, as in the headless demo), then open
    the kiosk over DATA/client pointed at the server and trusting the simulator's device CA, so a
    registration can be completed with its captures. A fresh kiosk opens on the setup screen (enrol,
    approval, first sync)."""
    from client.ui.app import run_gui

    data_dir = data_dir.resolve()
    server, url = start_server(data_dir / "server", echo=echo)
    simulator = spawn_simulator(data_dir / "devices")
    if simulator is None:
        echo("device simulator not available; biometrics cannot be captured")
    else:
        echo(f"device simulator on port {simulator[1]}")
    try:
        return run_gui(
            data_dir=data_dir / "client",
            keyring_file=data_dir / "client" / "demo-keyring.cfg",
            server_url=url,
            device_ca=data_dir / "devices" / "ca.pem" if simulator is not None else None,
        )
    finally:
        if simulator is not None:
            stop(simulator[0])
        stop(server)
