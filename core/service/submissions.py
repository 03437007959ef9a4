"""Submitting work: a photo or a text becomes a request row and a queue message."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from core.config import Settings
from core.db import jobs, people
from core.db.database import Database
from core.errors import InvalidImage, QueueUnavailable
from core.queue import JobQueue
from core.service.base import Component

log = logging.getLogger(__name__)


class Submissions(Component):
    """Refuses what is obviously unusable, stores the photo, writes the row, queues the id."""

    def __init__(self, settings: Settings, database: Database, queue: JobQueue) -> None:
        super().__init__(settings, database, queue)
        self._pks: dict[tuple[str, str, str], int] = {}  # (user|chat, platform, id) -> row id
        self._names: dict[tuple[str, str], str] = {}  # display names already stored

    def forget_cached(self, platform: str, user_id: str) -> None:
        """Drop a user's cached row id (they used /forget)."""
        self._pks.pop(("user", platform, user_id), None)
        self._names.pop((platform, user_id), None)

    def check_photo(self, photo: bytes) -> None:
        if not photo:
            raise InvalidImage("empty", "the photo is empty (0 bytes)")
        if len(photo) > self.settings.max_image_bytes:
            raise InvalidImage(
                "too_large", f"the photo is larger than {self.settings.max_image_bytes} bytes"
            )

    def album_parts(
        self, photos: Mapping[int, bytes], refused: Mapping[int, str]
    ) -> tuple[dict[int, bytes], list[dict[str, Any]]]:
        """The photos of an album worth a worker's time, and a part (with its failure code)
        for each refused one; InvalidImage when none is left."""
        usable: dict[int, bytes] = {}
        parts = [{"n": n, "error": code} for n, code in refused.items()]
        first: InvalidImage | None = None
        for n, data in photos.items():
            try:
                self.check_photo(data)
            except InvalidImage as exc:
                first = first or exc
                parts.append({"n": n, "error": f"invalid_image:{exc.reason}"})
                continue
            usable[n] = data
        if not usable:
            raise first or InvalidImage("empty", "no photo in the album")
        return usable, sorted(parts, key=lambda p: int(p["n"]))

    def submit(
        self,
        kind: str,
        platform: str,
        chat_id: str,
        chat_kind: str,
        user_id: str,
        message_ref: str | None,
        *,
        photo: bytes | None = None,
        text: str | None = None,
        session_id: int | None = None,
        user_name: str | None = None,
        parts: list[dict[str, Any]] | None = None,
    ) -> str:
        """Blocking: store the photo, write the row, enqueue; returns the job id. The same
        chat message submitted again (a redelivered update) returns the job it made before."""
        if message_ref is not None:
            with self.db.reader() as s:
                earlier = jobs.job_for_message(
                    s, platform=platform, chat_id=chat_id, message_ref=message_ref, kind=kind
                )
            if earlier is not None:
                log.info("job %s: message %s seen again; not submitted twice", earlier, message_ref)
                return earlier
        job_id = str(uuid.uuid4())
        if photo is not None:
            try:
                self.queue.photos.put(job_id, photo)
            except OSError as exc:  # disk full, Redis down: nothing was written
                raise QueueUnavailable(f"cannot store the photo: {exc}") from exc
        args = (job_id, kind, platform, chat_id, chat_kind, user_id, message_ref, photo, text)
        try:
            try:
                self._insert(*args, session_id=session_id, user_name=user_name, parts=parts)
            except IntegrityError:  # a cached user/chat was deleted meanwhile: look them up again
                self._pks.clear()
                self._insert(*args, session_id=session_id, user_name=user_name, parts=parts)
        except BaseException:
            if photo is not None:
                self.queue.photos.delete(job_id)
            raise
        try:
            self.queue.enqueue(job_id)
        except QueueUnavailable as exc:  # the row is queued: the worker's reaper re-sends it
            log.warning("job %s stored but not enqueued (%s); the reaper will send it", job_id, exc)
        return job_id

    def _insert(
        self,
        job_id: str,
        kind: str,
        platform: str,
        chat_id: str,
        chat_kind: str,
        user_id: str,
        message_ref: str | None,
        photo: bytes | None,
        text: str | None,
        *,
        session_id: int | None,
        user_name: str | None,
        parts: list[dict[str, Any]] | None,
    ) -> None:
        name = user_name.replace("\x00", "").strip()[:64] if user_name else None
        with self.db.transaction() as s:
            user_pk = self._pks.get(("user", platform, user_id))
            if user_pk is None:
                user_pk = people.get_or_create_user(s, platform=platform, external_id=user_id).id
            if name and self._names.get((platform, user_id)) != name:
                people.set_display_name(s, user_pk=user_pk, name=name)
            chat_pk = self._pks.get(("chat", platform, chat_id))
            if chat_pk is None:
                chat_pk = people.get_or_create_chat(
                    s, platform=platform, external_id=chat_id, kind=chat_kind
                ).id
            jobs.create_request(
                s,
                job_id=job_id,
                kind=kind,
                chat_id=chat_pk,
                user_id=user_pk,
                message_ref=message_ref,
                photo_sha256=hashlib.sha256(photo).hexdigest() if photo is not None else None,
                query_text=text,
                session_id=session_id,
                parts=parts,
            )
        if len(self._pks) > 50_000:  # a bounded cache of row ids: two lookups fewer per job
            self._pks.clear()
            self._names.clear()
        self._pks[("user", platform, user_id)] = user_pk
        self._pks[("chat", platform, chat_id)] = chat_pk
        if name:
            self._names[(platform, user_id)] = name
