"""The one validated settings object of a server process (built in cli.py / tests, never at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseSettings):
    """Environment variables ``OPENREG_SERVER_<NAME>`` override defaults; CLI flags override both."""

    model_config = SettingsConfigDict(env_prefix="OPENREG_SERVER_", extra="forbid", populate_by_name=True)

    data_dir: Path
    db_url: str | None = Field(default=None, description="SQLAlchemy URL; default sqlite file under data_dir")
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    demo: bool = False
    max_chunk_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_json_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    machine_token_ttl_s: int = Field(default=900, ge=1)
    user_token_ttl_s: int = Field(default=3600, ge=1)
    challenge_ttl_s: int = Field(default=60, ge=1)
    changes_page_max: int = Field(default=5000, ge=1)
    masterdata_sync_mark_interval_s: float = Field(
        default=60,
        ge=0,
        description="at most one write of a machine's last master-data sync per this many seconds",
    )
    workers: int = Field(
        default=1, ge=0, description="in-process processing workers (0: separate `openreg worker`)"
    )
    update_repo_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("update_repo_dir", "OPENREG_UPDATE_REPO_DIR"),
        description="signed TUF update repository served under /updates (openreg release)",
    )
    test_crash_at: Literal["", "upload_complete", "upload_published"] = Field(
        default="",
        description="TESTS ONLY: SIGKILL the server at this point of the last upload chunk (kill tests); off by default",
    )

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'server.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "packets"

    @property
    def partial_dir(self) -> Path:
        return self.data_dir / "packets" / "partial"
