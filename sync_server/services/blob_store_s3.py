"""``BlobStore`` on an S3-compatible object store (AWS S3, MinIO, Ceph RGW), shared by every server.

Keys under the configured prefix: ``<rid>.age`` is the published blob; an upload in progress is one
object per chunk, ``partial/<rid>/<offset:012d>``, each written whole by one PUT (so a server killed
mid-PATCH leaves the chunks before it, and any server resumes from their sum). Publishing copies the
chunks into ``<rid>.age`` inside the store (CopyObject for one chunk; a multipart copy when every
chunk but the last has S3's 5 MiB part minimum; else the chunks are streamed back as parts), then the
chunks go. ``ingest`` sends a whole file as the published blob in one pass and completes it only
after the SHA-256 matched. Writers of a RID are serialised across machines by ``RidLocks``.

Every failure to reach the store is ``BlobStoreUnavailable`` (503 to kiosks, who retry; botocore's
own retries with back-off come first). Credentials come from botocore's usual chain (AWS_* variables,
the shared credentials file); they never pass through OpenReg's settings or logs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from shared.packet import MAX_SEALED_PACKET_BYTES
from shared.sync import ErrorCode
from sync_server.services.blob_locks import RidLocks
from sync_server.services.blob_store import BLOCK, BlobMismatch, BlobStoreUnavailable, check_rid, read_up_to
from sync_server.services.errors import TooLarge

log = logging.getLogger(__name__)
PART_MIN = 5 * 1024 * 1024  # S3's smallest part (all but the last) of a multipart upload
PART = 8 * 1024 * 1024  # parts this module sends
MAX_CHUNKS = 2000  # chunk objects per upload: a bound on listing; kiosks send 1 MiB chunks
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore:
    """``BlobStore`` in ``bucket`` under ``prefix`` through a botocore S3 ``client``."""

    def __init__(
        self,
        *,
        client: Any,
        bucket: str,
        prefix: str,
        locks: RidLocks,
        probe: Any | None = None,
        endpoint: str | None = None,
        crash_at: str = "",
    ) -> None:
        self.client, self.bucket, self.locks = client, bucket, locks
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.probe = probe or client  # readiness: a client without retries, short timeouts
        self.endpoint = endpoint
        self._crash_at = crash_at

    # -- names and calls ---------------------------------------------------------------------------
    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix} at {self.endpoint or 'the AWS endpoint'}"

    def _final(self, rid: str) -> str:
        return f"{self.prefix}{check_rid(rid)}.age"

    def _chunk_prefix(self, rid: str) -> str:
        return f"{self.prefix}partial/{check_rid(rid)}/"

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One S3 operation; unreachable, throttled or refusing: ``BlobStoreUnavailable``."""
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise FileNotFoundError(kwargs.get("Key", self.bucket)) from exc
            raise self._unavailable(operation, exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable(operation, exc) from exc

    def _unavailable(self, operation: str, exc: Exception) -> BlobStoreUnavailable:
        log.error("blob store %s: %s failed: %s", self.describe(), operation, exc)
        return BlobStoreUnavailable("the packet store cannot be reached just now; retry later")

    def crash_point(self, name: str) -> None:
        if name == self._crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def locked(self, rid: str) -> AbstractContextManager[None]:
        return self.locks.locked(check_rid(rid))

    def close(self) -> None:
        self.locks.close()

    # -- the partial: chunk objects ----------------------------------------------------------------
    def _chunks(self, rid: str) -> tuple[list[dict], list[str]]:
        """(the chunks that continue each other from offset 0, in order; keys of any others)."""
        found: list[tuple[int, dict]] = []
        token: dict[str, str] = {}
        while True:
            page = self._call("list_objects_v2", Prefix=self._chunk_prefix(rid), MaxKeys=1000, **token)
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[1]
                found.append((int(name) if name.isdigit() else -1, item))
            if not page.get("IsTruncated") or len(found) > MAX_CHUNKS:
                break
            token = {"ContinuationToken": page["NextContinuationToken"]}
        chain, stray, expected = [], [], 0
        for offset, item in sorted(found, key=lambda pair: pair[0]):
            if offset == expected:
                chain.append(item)
                expected += item["Size"]
            else:
                stray.append(item["Key"])
        return chain, stray

    def offset(self, rid: str) -> int:
        return sum(item["Size"] for item in self._chunks(rid)[0])

    def last_write(self, rid: str) -> dt.datetime | None:
        chain = self._chunks(rid)[0]
        return max(item["LastModified"] for item in chain).astimezone(dt.UTC) if chain else None

    def append(self, rid: str, data: bytes) -> int:
        chain, stray = self._chunks(rid)
        self._delete(stray)  # left by a discard cut short: never part of the next upload
        if len(chain) >= MAX_CHUNKS:
            raise TooLarge(
                ErrorCode.chunk_too_large,
                f"an upload may have at most {MAX_CHUNKS} chunks on this server; send bigger chunks",
            )
        offset = sum(item["Size"] for item in chain)
        self._call("put_object", Key=f"{self._chunk_prefix(rid)}{offset:012d}", Body=data)
        return offset + len(data)

    def _read(self, key: str) -> Iterator[bytes]:
        body = self._call("get_object", Key=key)["Body"]
        try:
            while block := body.read(BLOCK):
                yield block
        except BotoCoreError as exc:
            raise self._unavailable("get_object", exc) from exc
        finally:
            body.close()

    def _blocks(self, rid: str, *, final: bool) -> Iterator[bytes]:
        keys = [self._final(rid)] if final else [item["Key"] for item in self._chunks(rid)[0]]
        for key in keys:
            yield from self._read(key)

    def digest(self, rid: str, *, final: bool = False) -> str:
        digest = hashlib.sha256()
        for block in self._blocks(rid, final=final):
            digest.update(block)
        return digest.hexdigest()

    def _delete(self, keys: list[str]) -> None:
        """Highest offset first: a deletion cut short leaves a run from offset 0, never a gap."""
        for key in sorted(keys, reverse=True):
            self._call("delete_object", Key=key)

    def discard(self, rid: str, *, final: bool = False) -> None:
        if final:
            self._call("delete_object", Key=self._final(rid))
            return
        chain, stray = self._chunks(rid)
        self._delete([item["Key"] for item in chain] + stray)

    # -- the published blob ------------------------------------------------------------------------
    def has_final(self, rid: str) -> bool:
        try:
            self._call("head_object", Key=self._final(rid))
        except FileNotFoundError:
            return False
        return True

    def publish(self, rid: str) -> None:
        chain, _stray = self._chunks(rid)
        if not chain:
            raise FileNotFoundError(f"no upload of {rid} to publish")
        final = self._final(rid)
        if len(chain) == 1:
            self._call("copy_object", Key=final, CopySource={"Bucket": self.bucket, "Key": chain[0]["Key"]})
        elif all(item["Size"] >= PART_MIN for item in chain[:-1]):
            self._multipart(final, lambda upload: self._copy_parts(final, upload, chain))
        else:
            self._multipart(
                final, lambda upload: self._send_parts(final, upload, self._blocks(rid, final=False))
            )
        self.crash_point("upload_published")
        self._delete([item["Key"] for item in chain])

    def _multipart(self, key: str, send: Callable[[str], list[dict] | None]) -> None:
        """Create a multipart upload of ``key``, ``send`` its parts, complete it (None from ``send``:
        abort instead). Completing is atomic: ``key`` appears whole or not at all."""
        upload = self._call("create_multipart_upload", Key=key)["UploadId"]
        try:
            parts = send(upload)
        except BaseException:
            self._abort(key, upload)
            raise
        if parts is None:
            self._abort(key, upload)
            return
        self._call("complete_multipart_upload", Key=key, UploadId=upload, MultipartUpload={"Parts": parts})

    def _abort(self, key: str, upload: str) -> None:
        try:
            self._call("abort_multipart_upload", Key=key, UploadId=upload)
        except (BlobStoreUnavailable, FileNotFoundError):
            log.warning("multipart upload of %s left to the bucket's clean-up rule", key)

    def _copy_parts(self, key: str, upload: str, chain: list[dict]) -> list[dict]:
        parts = []
        for number, item in enumerate(chain, start=1):
            answer = self._call(
                "upload_part_copy",
                Key=key,
                UploadId=upload,
                PartNumber=number,
                CopySource={"Bucket": self.bucket, "Key": item["Key"]},
            )
            parts.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
        return parts

    def _send_parts(self, key: str, upload: str, blocks: Iterator[bytes]) -> list[dict]:
        parts, buffer = [], bytearray()

        def flush() -> None:
            number = len(parts) + 1
            answer = self._call(
                "upload_part", Key=key, UploadId=upload, PartNumber=number, Body=bytes(buffer)
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
            buffer.clear()

        for block in blocks:
            buffer += block
            if len(buffer) >= PART:
                flush()
        if buffer or not parts:
            flush()
        return parts

    def ingest(self, rid: str, source: BinaryIO, *, sha256: str, size: int, publish: bool = True) -> None:
        """Up to one part: read, hash, check, one PUT. Larger: parts sent as read and hashed, and the
        upload completed only if the whole matched (else aborted: nothing appears). Published (and
        durable) as soon as the bucket answers, whatever ``publish`` says."""
        final = self._final(rid)
        if size <= PART:
            data = read_up_to(source, size + 1)
            if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
                raise BlobMismatch(f"{len(data)} bytes, not the {size} registered with {sha256}")
            self._call("put_object", Key=final, Body=data)
        else:
            digest, total = hashlib.sha256(), 0

            def blocks() -> Iterator[bytes]:
                nonlocal total
                while total <= size and (block := source.read(min(PART, size + 1 - total))):
                    digest.update(block)
                    total += len(block)
                    yield block

            def send(upload: str) -> list[dict] | None:
                parts = self._send_parts(final, upload, blocks())
                return parts if total == size and digest.hexdigest() == sha256 else None

            self._multipart(final, send)
            if total != size or digest.hexdigest() != sha256:
                raise BlobMismatch(f"{total} bytes hashing to {digest.hexdigest()}, not {size} to {sha256}")
        self.discard(rid)

    def publish_many(self, rids: list[str]) -> None:
        return None  # ``ingest`` published them already

    def local_file(self, rid: str) -> Path | None:
        return None

    def download(self, rid: str, target: BinaryIO) -> int:
        total = 0
        for block in self._blocks(rid, final=True):
            total += len(block)
            if total > MAX_SEALED_PACKET_BYTES:
                raise BlobMismatch(f"the stored blob of {rid} is larger than any packet")
            target.write(block)
        return total

    def published(self) -> Iterator[str]:
        token: dict[str, str] = {}
        while True:
            page = self._call("list_objects_v2", Prefix=self.prefix, Delimiter="/", **token)
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                if name.endswith(".age"):
                    yield name.removesuffix(".age")
            if not page.get("IsTruncated"):
                return
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def health(self, *, min_free_bytes: int = 0) -> str:
        del min_free_bytes  # a bucket has no free-space figure
        try:
            self.probe.head_bucket(Bucket=self.bucket)
        except NoCredentialsError:
            return "no credentials"
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            log.warning("readiness: bucket %s: %s", self.bucket, code)
            return {"403": "forbidden", "404": "bucket missing", "NoSuchBucket": "bucket missing"}.get(
                code, "unreachable"
            )
        except BotoCoreError as exc:
            log.warning("readiness: blob store %s unreachable: %s", self.describe(), exc)
            return "unreachable"
        return "ok"
