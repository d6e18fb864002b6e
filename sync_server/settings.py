"""The one validated settings object of a server process (built in cli.py / tests, never at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
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
    report_folders: list[Path] = Field(
        default_factory=list,
        description="folders (besides DATA/reports/outbox) that folder destinations of reports may write under",
    )
    # -- abuse and resource limits (docs/security.md) --------------------------------------
    max_request_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="body limit of every route except the bulk ones (master-data import: max_json_body_bytes)",
    )
    max_json_depth: int = Field(default=64, ge=2, le=512, description="deepest JSON nesting accepted")
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024, description="request head")
    max_header_count: int = Field(default=100, ge=10, le=10_000)
    header_timeout_s: float = Field(
        default=30, gt=0, le=3600, description="a request head must arrive within this time"
    )
    min_body_rate_bytes_s: int = Field(
        default=1024, ge=1, description="a body slower than this (per body_rate_window_s) is cut off"
    )
    body_rate_window_s: float = Field(default=10, gt=0, le=3600)
    max_connections: int = Field(default=1000, ge=1, description="open connections + tasks; 503 beyond")
    keep_alive_timeout_s: int = Field(default=5, ge=1, le=600)
    login_max_failures: int = Field(default=5, ge=1, le=1000, description="wrong passwords before lockout")
    login_lockout_s: int = Field(default=900, ge=1, description="lockout length; also the failure window")
    max_concurrent_password_hashes: int = Field(default=2, ge=1, le=64)
    password_hash_wait_s: float = Field(
        default=0.5, ge=0, le=30, description="wait this long for a hashing slot, then answer 429"
    )
    login_rate_per_minute: int = Field(default=30, ge=1, description="per client address")
    challenge_rate_per_minute: int = Field(default=120, ge=1, description="per client address")
    enrol_rate_per_minute: int = Field(
        default=60, ge=1, description="new enrolments per client address (re-asking with a known key is free)"
    )
    max_pending_enrolments_per_address: int = Field(default=20, ge=1)
    max_pending_enrolments: int = Field(default=1000, ge=1)
    pending_enrolment_ttl_s: int = Field(
        default=7 * 24 * 3600, ge=1, description="pending enrolments older than this are deleted"
    )
    max_challenges_per_machine: int = Field(default=5, ge=1, le=100, description="live challenges kept")

    tls_certfile: Path | None = Field(default=None, description="PEM certificate (chain): serve HTTPS")
    tls_keyfile: Path | None = Field(default=None, description="PEM private key of tls_certfile")
    public_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="the address kiosks should use (e.g. behind a proxy); signed into GET /api/v1/keys",
    )

    min_free_disk_mb: int = Field(
        default=64, ge=0, description="refuse to start with less free space than this in the data dir"
    )
    abis_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[A-Za-z0-9.\-\[\]:]+(/[^\s]*)?$",
        description="the ABIS for biometric deduplication (e.g. http://127.0.0.1:8092 for "
        "`python -m abis_service`); unset: demographic deduplication only",
    )
    abis_timeout_s: float = Field(
        default=120, gt=0, le=3600, description="the longest one ABIS request may take"
    )
    processing_lease_s: float = Field(
        default=10,
        gt=0,
        le=3600,
        description="a worker's claim on a packet lasts this long, renewed while it runs; a killed "
        "worker's packet is retried by another after at most this long",
    )
    console_idle_minutes: int = Field(
        default=15,
        ge=1,
        le=24 * 60,
        description="a web-console session ends after this long without a request",
    )
    console_session_hours: int = Field(
        default=12,
        ge=1,
        le=7 * 24,
        description="a web-console session ends this long after sign-in, in use or not",
    )
    # -- observability (docs/operations.md) -------------------------------------------------
    log_format: Literal["text", "json"] = Field(
        default="text", description="log lines as text for people or as one JSON object per line"
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="bearer token for /metrics (and a worker's metrics port); unset: loopback clients only",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        max_length=2000,
        pattern=r"^[0-9A-Fa-f.:/,* ]*$",
        description="proxies (IPs or networks, comma-separated) whose X-Forwarded-For/-Proto are "
        "believed; empty: none",
    )
    shutdown_grace_s: float = Field(
        default=5, gt=0, le=600, description="on SIGTERM, requests in flight get this long to finish"
    )
    # -- packet blob store (docs/operations.md, "Packet blobs on S3") ------------------------------
    blob_store: str = Field(
        default="",
        max_length=1100,
        pattern=r"^(s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*'()/\-]*)?)?$",
        description="empty: packet blobs in DATA/packets; s3://BUCKET/PREFIX: in an S3-compatible "
        "object store that every server and worker shares (credentials: the AWS_* variables or file)",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[A-Za-z0-9.\-\[\]:]+/?$",
        description="the S3 API address of MinIO / Ceph RGW (unset: AWS S3)",
    )
    s3_region: str | None = Field(
        default=None, max_length=64, pattern=r"^[a-z0-9\-]+$", description="default: AWS_REGION or us-east-1"
    )
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        default="auto", description="auto: path style with s3_endpoint_url (MinIO, Ceph), else virtual"
    )
    s3_max_attempts: int = Field(default=5, ge=1, le=20, description="tries per S3 request (back-off)")
    s3_timeout_s: float = Field(default=30, gt=0, le=600, description="connect and read timeout per try")
    s3_instance_credentials: bool = Field(
        default=False, description="also take credentials from the EC2/ECS metadata service"
    )
    blob_lock_timeout_s: float = Field(
        default=30, gt=0, le=600, description="longest wait for another server's write of the same packet"
    )
    upload_sweep_interval_s: float = Field(
        default=3600, gt=0, le=7 * 24 * 3600, description="how often expired unfinished uploads are dropped"
    )
    test_crash_at: Literal["", "upload_complete", "upload_published"] = Field(
        default="",
        description="TESTS ONLY: SIGKILL the server at this point of the last upload chunk (kill tests); off by default",
    )

    @model_validator(mode="after")
    def _tls_pair(self) -> ServerSettings:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("HTTPS needs both a certificate file and its key file")
        for path in (self.tls_certfile, self.tls_keyfile):
            if path is not None and not path.is_file():
                raise ValueError(f"{path} is not a file")
        return self

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'server.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "packets"

    @property
    def partial_dir(self) -> Path:
        return self.data_dir / "packets" / "partial"
