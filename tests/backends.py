"""Real servers for the scale-out path: PostgreSQL and Redis on 127.0.0.1.

A test that needs one skips with the reason when it is unreachable; with MRI_NO_SKIP=1 (CI)
the skip becomes a failure. Each test gets its own PostgreSQL database and Redis queue name.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRES_ADMIN = os.environ.get(
    "MRI_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("MRI_TEST_REDIS", "redis://127.0.0.1:6379/0")


def missing(what: str, why: object) -> None:
    message = f"{what} is not reachable ({why}); start it or set MRI_TEST_POSTGRES / MRI_TEST_REDIS"
    if os.environ.get("MRI_NO_SKIP") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"mri_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        missing("PostgreSQL", exc.orig)
    url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_queue() -> Iterator[tuple[str, str]]:
    """(redis url, a queue name nobody else uses); its keys are removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        missing("Redis", exc)
    name = f"mri-test-{uuid.uuid4().hex[:12]}"
    try:
        yield REDIS_URL, name
    finally:
        for key in client.scan_iter(match=f"*{name}*"):
            client.delete(key)
        client.close()
