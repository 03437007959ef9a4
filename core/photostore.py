"""Where a photo waits while its job is queued or running; deleted when the job ends.

The queue message carries only the job id, so a job re-run after a worker died still finds
its photo. Embedded default: files in the spool folder (one machine). With a Redis queue the
photos live in Redis next to it (several machines), with a TTL as a last line of defence.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import redis

_JOB_ID = re.compile(r"^[0-9a-f-]{8,64}$")


class PhotoStore(Protocol):
    """Every method raises OSError when the store cannot be used (disk full, Redis down)."""

    def put(self, job_id: str, data: bytes) -> None: ...
    def get(self, job_id: str) -> bytes | None: ...
    def delete(self, job_id: str) -> None: ...
    def job_ids(self) -> list[str]: ...
    def stale_job_ids(self, min_age: float) -> list[str]:
        """Jobs whose photo has waited at least `min_age` seconds (orphan-sweep candidates)."""
        ...


def _checked(job_id: str) -> str:
    if not _JOB_ID.match(job_id):
        raise ValueError(f"not a job id: {job_id!r}")
    return job_id


class SpoolPhotoStore:
    """One file per job in a folder only the owner may read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, job_id: str) -> Path:
        return self.folder / f"{_checked(job_id)}.photo"

    def put(self, job_id: str, data: bytes) -> None:
        final = self._path(job_id)
        tmp = final.with_suffix(".part")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, final)
        except OSError:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written photo behind
            raise

    def get(self, job_id: str) -> bytes | None:
        try:
            return self._path(job_id).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, job_id: str) -> None:
        self._path(job_id).unlink(missing_ok=True)

    def job_ids(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.photo"))

    def stale_job_ids(self, min_age: float) -> list[str]:
        cutoff = time.time() - min_age
        out = []
        for path in self.folder.glob("*.photo"):
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                if path.stat().st_mtime <= cutoff:
                    out.append(path.stem)
        return sorted(out)


@contextlib.contextmanager
def _redis_errors() -> Iterator[None]:
    """Redis down reads like a full disk: callers of a photo store handle OSError only."""
    try:
        yield
    except redis.RedisError as exc:
        raise OSError(f"photo store unavailable (Redis): {exc}") from exc


class RedisPhotoStore:
    """Photos as Redis keys `<prefix>:photo:<job id>` with a TTL."""

    def __init__(self, client: redis.Redis, prefix: str, ttl_seconds: int) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = ttl_seconds

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}:photo:{_checked(job_id)}"

    def put(self, job_id: str, data: bytes) -> None:
        with _redis_errors():
            self.client.set(self._key(job_id), data, ex=self.ttl)

    def get(self, job_id: str) -> bytes | None:
        with _redis_errors():
            value = self.client.get(self._key(job_id))
        return value if isinstance(value, bytes) else None

    def delete(self, job_id: str) -> None:
        with _redis_errors():
            self.client.delete(self._key(job_id))

    def job_ids(self) -> list[str]:
        out = []
        with _redis_errors():
            for key in self.client.scan_iter(match=f"{self.prefix}:photo:*", count=500):
                with contextlib.suppress(UnicodeDecodeError):
                    name = key.decode() if isinstance(key, bytes) else str(key)
                    out.append(name.rsplit(":", 1)[1])
        return sorted(out)

    def stale_job_ids(self, min_age: float) -> list[str]:
        """A photo's age is its TTL already spent (every photo is stored with the same TTL)."""
        ids = self.job_ids()
        with _redis_errors():
            pipe = self.client.pipeline()
            for job_id in ids:
                pipe.ttl(self._key(job_id))
            ttls = pipe.execute()
        return [
            job_id
            for job_id, ttl in zip(ids, ttls, strict=True)
            if ttl == -1 or (ttl >= 0 and self.ttl - ttl >= min_age)  # -1: no TTL, -2: gone
        ]
