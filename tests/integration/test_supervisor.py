"""`mri run`: a crashed child is restarted; SIGTERM stops everything cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.test_telegram_process import MRI, clean_env

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout: float = 120.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_crashed_worker_is_restarted_and_sigterm_stops_all(tmp_path: Path) -> None:
    data = tmp_path / "var"
    env = {**clean_env(), "MRI_DATA_DIR": str(data)}
    log = tmp_path / "run.log"
    with open(log, "ab") as out:
        sup = subprocess.Popen(
            [MRI, "run", "--grace", "20"], cwd=tmp_path, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    state_file = data / "run.json"
    try:

        def state() -> dict:  # type: ignore[type-arg]
            try:
                return json.loads(state_file.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
            except (FileNotFoundError, json.JSONDecodeError):
                return {}

        first = wait_for(lambda: (state().get("worker") or {}).get("pid"))
        assert set(state()) == {"worker"}  # no tokens: no bots
        os.killpg(first, signal.SIGKILL)  # the worker crashes
        second = wait_for(
            lambda: (s := state().get("worker") or {}).get("restarts") == 1 and s.get("pid")
        )
        assert second != first and alive(second)
    finally:
        sup.send_signal(signal.SIGTERM)
        code = sup.wait(timeout=60)
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert "restarting in" in text and not alive(second)
    assert not state_file.exists()
