"""Start-up retries: back-off, what a line names, and the sentence at the end."""

from __future__ import annotations

import itertools
import logging

import pytest

from core.errors import ServiceUnreachable
from core.startup import delays, describe_database, describe_url, retry


def test_back_off_doubles_up_to_thirty_seconds() -> None:
    assert list(itertools.islice(delays(10_000), 8)) == [1, 2, 4, 8, 16, 30, 30, 30]
    assert list(delays(0)) == []


def test_a_server_that_comes_up_is_waited_for(caplog: pytest.LogCaptureFixture) -> None:
    failures, pauses = iter(range(2)), []

    def check() -> str:
        if next(failures, None) is not None:
            raise ServiceUnreachable("Redis at 127.0.0.1:6390 is unreachable: refused")
        return "up"

    with caplog.at_level(logging.WARNING):
        assert retry(check, timeout=300, sleep=pauses.append) == "up"
    assert pauses == [1, 2]
    assert [r.getMessage() for r in caplog.records] == [
        "Redis at 127.0.0.1:6390 is unreachable: refused; retrying in 1 s",
        "Redis at 127.0.0.1:6390 is unreachable: refused; retrying in 2 s",
    ]


def test_without_a_timeout_one_try_and_the_plain_sentence() -> None:
    def check() -> None:
        raise ServiceUnreachable("PostgreSQL at db:5432/mri is unreachable: refused")

    with pytest.raises(ServiceUnreachable) as info:
        retry(check, timeout=0, sleep=pytest.fail)
    assert str(info.value) == "PostgreSQL at db:5432/mri is unreachable: refused"


def test_names_never_carry_passwords() -> None:
    url = "postgresql+psycopg://mri:hunter22@db.internal:5433/prod"
    assert describe_database(url) == "PostgreSQL at db.internal:5433/prod"
    assert describe_database("sqlite:////srv/mri/var/mri.db").endswith("/srv/mri/var/mri.db")
    assert describe_url("Redis", "redis://:hunter22@cache:6380/1") == "Redis at cache:6380"
