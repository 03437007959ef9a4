"""`mri run`: the worker(s) and the configured bots under one supervisor, for a single machine.

Each child is a normal `mri` command in its own process group. A child that exits on its own is
restarted after a back-off that doubles (1 s … 60 s) while it keeps crashing within a minute of
starting, and resets once it has stayed up. SIGTERM or SIGINT stops everything: children get
SIGTERM (graceful: workers finish the job in hand), and SIGKILL after `grace` seconds. The
children's pids are kept in `<data_dir>/run.json` for operators and tests.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
MIN_BACKOFF, MAX_BACKOFF, STABLE_AFTER = 1.0, 60.0, 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = MIN_BACKOFF
    restarts: int = 0
    due: float = 0.0  # when a crashed child may start again


@dataclass
class Supervisor:
    children: list[Child]
    state_file: Path
    grace: float = 30.0
    poll: float = 0.2
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.argv, start_new_session=True)
        child.started = time.monotonic()
        log.info("started %s (pid %d)", child.name, child.process.pid)
        self._write_state()

    def stop(self, *_: object) -> None:
        self._stop.set()

    def run(self) -> int:
        """Until SIGTERM/SIGINT: keep every child running. Returns the exit code."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.stop)
        for child in self.children:
            self.start(child)
        while not self._stop.wait(self.poll):
            now = time.monotonic()
            for child in self.children:
                p = child.process
                if p is not None and p.poll() is None:
                    if now - child.started > STABLE_AFTER:
                        child.backoff = MIN_BACKOFF
                    continue
                if p is not None:  # it just exited: schedule a restart
                    code = p.returncode
                    child.process = None
                    child.due = now + child.backoff
                    log.warning(
                        "%s exited with %s; restarting in %.0f s", child.name, code, child.backoff
                    )
                    if code == 2 and now - child.started < 5:  # a usage/config error: say so
                        log.error("%s refuses to start (exit 2): check its settings", child.name)
                    child.backoff = min(child.backoff * 2, MAX_BACKOFF)
                    self._write_state()
                elif now >= child.due:
                    child.restarts += 1
                    self.start(child)
        self.shutdown()
        return 0

    def shutdown(self) -> None:
        running = [c for c in self.children if c.process and c.process.poll() is None]
        for c in running:
            assert c.process is not None
            log.info("stopping %s (pid %d)", c.name, c.process.pid)
            os.killpg(c.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for c in running:
            assert c.process is not None
            try:
                c.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s: killing it", c.name, self.grace)
                os.killpg(c.process.pid, signal.SIGKILL)
                c.process.wait()
        self.state_file.unlink(missing_ok=True)

    def _write_state(self) -> None:
        state = {
            c.name: {"pid": c.process.pid if c.process else None, "restarts": c.restarts}
            for c in self.children
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self.state_file)


def mri_command(*args: str) -> list[str]:
    """argv for an `mri` sub-command run by this same interpreter."""
    return [sys.executable, "-m", "mri.cli", *args]
