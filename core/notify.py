"""Best-effort "job ended" notifications from workers to the adapters waiting for answers.

The database stays the truth (waiters also poll it, slowly); a notification only makes the
answer arrive without polling delay. Embedded default (one machine): each adapter process binds
a Unix datagram socket in `<data_dir>/notify/` and workers send the job id to every socket
there. With Redis: a pub/sub channel next to the queue, which works across machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import redis

log = logging.getLogger(__name__)
OnEnded = Callable[[str, str], None]  # (job id, final status)


class Notifier(Protocol):
    def job_ended(self, job_id: str, status: str) -> None: ...


class Listener(Protocol):
    def start(self, loop: asyncio.AbstractEventLoop, on_ended: OnEnded) -> None: ...
    def close(self) -> None: ...


def _deliver(data: bytes, on_ended: OnEnded) -> None:
    job_id, _, status = data.decode(errors="replace").partition(" ")
    if job_id and status:
        on_ended(job_id, status)


class SocketNotifier:
    """Worker side: one datagram per listening adapter process; dead sockets are removed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def job_ended(self, job_id: str, status: str) -> None:
        paths = list(self.folder.glob("*.sock"))
        if not paths:
            return
        message = f"{job_id} {status}".encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            for path in paths:
                self._send(sock, path, message)

    @staticmethod
    def _send(sock: socket.socket, path: Path, message: bytes) -> None:
        try:
            sock.sendto(message, str(path))
        except OSError as exc:
            if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
                with contextlib.suppress(OSError):
                    path.unlink()  # its process is gone
            # a full buffer (EAGAIN) just drops the hint: the waiter's poll finds the job


class SocketListener:
    """Adapter side: a Unix datagram socket read from the event loop."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind(str(self.path))
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop, on_ended: OnEnded) -> None:
        self._loop = loop

        def readable() -> None:
            while True:
                try:
                    data = self.sock.recv(256)
                except BlockingIOError:
                    return
                except OSError:
                    return
                _deliver(data, on_ended)

        loop.add_reader(self.sock.fileno(), readable)

    def close(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()
        self.path.unlink(missing_ok=True)


class RedisNotifier:
    def __init__(self, client: redis.Redis, channel: str) -> None:
        self.client = client
        self.channel = channel

    def job_ended(self, job_id: str, status: str) -> None:
        try:
            self.client.publish(self.channel, f"{job_id} {status}")
        except redis.RedisError as exc:
            log.info("could not publish job end (%s); waiters will poll", exc)


class RedisListener:
    """A thread reading the pub/sub channel and handing job ids to the event loop."""

    def __init__(self, client: redis.Redis, channel: str) -> None:
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        self.pubsub.subscribe(channel)
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, loop: asyncio.AbstractEventLoop, on_ended: OnEnded) -> None:
        def run() -> None:
            while not self.stopped.is_set():
                try:
                    message = self.pubsub.get_message(timeout=0.5)
                except (redis.RedisError, ValueError, OSError):
                    if self.stopped.wait(1.0):
                        return
                    continue
                if message and isinstance(message.get("data"), bytes):
                    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                        loop.call_soon_threadsafe(_deliver, message["data"], on_ended)

        self.thread = threading.Thread(target=run, name="mri-job-events", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=2)
        with contextlib.suppress(redis.RedisError, OSError):
            self.pubsub.close()
