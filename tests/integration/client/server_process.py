"""Start the real sync server (``openreg server --data DIR --port 0 --demo``) for client integration tests."""

from __future__ import annotations

from pathlib import Path

from client.core.demo import start_server, stop


class ServerProcess:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process, self.url = start_server(data_dir, echo=lambda _m: None)

    def stop(self) -> None:
        stop(self.process)

    def restart(self) -> None:
        self.stop()
        self.process, self.url = start_server(self.data_dir, echo=lambda _m: None)
