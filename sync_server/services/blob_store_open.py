"""The blob store a server process uses, from its settings: the local folder ``DATA/packets`` (default)
or an S3-compatible bucket (``blob_store = s3://BUCKET/PREFIX``), shared by every server and worker.

The S3 client is botocore's, with its standard retry mode (exponential back-off with jitter on
throttling, 5xx and connection errors), bounded timeouts and connection pool. Credentials come from
botocore's chain minus the cloud metadata services (unless ``s3_instance_credentials``): the AWS_*
variables or the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE). OpenReg never
reads, prints or logs them.
"""

from __future__ import annotations

import os
from typing import Any

from sync_server.services.blob_locks import locks_for
from sync_server.services.blob_store import BlobStore, LocalBlobStore
from sync_server.settings import ServerSettings


def s3_location(url: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://bucket/prefix`` (the settings pattern has checked its form)."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return bucket, prefix.strip("/")


def s3_client(settings: ServerSettings, *, attempts: int, timeout_s: float) -> Any:
    """A botocore S3 client for ``settings`` (thread-safe; one per store)."""
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    if not settings.s3_instance_credentials:
        resolver = session.get_component("credential_provider")
        for name in ("iam-role", "container-role"):  # no metadata-service lookups unless asked
            resolver.remove(name)
    style = settings.s3_addressing_style
    if style == "auto":
        style = "path" if settings.s3_endpoint_url else "virtual"
    region = (
        settings.s3_region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )
    config = Config(
        region_name=region,
        retries={"mode": "standard", "total_max_attempts": attempts},
        connect_timeout=min(timeout_s, 10),
        read_timeout=timeout_s,
        max_pool_connections=64,
        s3={"addressing_style": style},
    )
    return session.create_client("s3", endpoint_url=settings.s3_endpoint_url, config=config)


def open_blob_store(settings: ServerSettings) -> BlobStore:
    """The blob store of ``settings`` (nothing is contacted here: readiness and use tell)."""
    if not settings.blob_store:
        return LocalBlobStore(settings.blob_dir, crash_at=settings.test_crash_at)
    from sync_server.services.blob_store_s3 import S3BlobStore

    bucket, prefix = s3_location(settings.blob_store)
    return S3BlobStore(
        client=s3_client(settings, attempts=settings.s3_max_attempts, timeout_s=settings.s3_timeout_s),
        probe=s3_client(settings, attempts=1, timeout_s=min(settings.s3_timeout_s, 5)),
        bucket=bucket,
        prefix=prefix,
        endpoint=settings.s3_endpoint_url,
        locks=locks_for(
            settings.database_url,
            local_folder=settings.data_dir / "packet-locks",
            timeout_s=settings.blob_lock_timeout_s,
        ),
        crash_at=settings.test_crash_at,
    )
