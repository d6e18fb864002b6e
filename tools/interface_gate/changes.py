"""One difference between a baseline contract and the current one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["request", "response", "both"]
"""Who reads the data: the server (``request``: an old kiosk sends it), the kiosk (``response``: an old
kiosk reads it), or both sides."""


@dataclass(frozen=True, order=True)
class Change:
    breaking: bool
    contract: str  # openapi, sync_models, packet, masterdata, sbi, cli
    where: str  # a JSON-pointer-like path or a command path
    what: str

    def line(self) -> str:
        return f"{'BREAKING' if self.breaking else 'compatible'}  {self.contract}  {self.where}: {self.what}"
