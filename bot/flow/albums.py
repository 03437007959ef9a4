"""Several photos sent together (a Telegram media group, a Discord message with several images):
one request, so one chat action, at most one placeholder, one reply with a list blended from
all of them that says which photo brought which mood, and one set of votes. A photo that
cannot be used is named in that reply and the others go on. In a group with an open playlist,
each photo joins it instead (acknowledged together)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.flow.intake import Intake
from bot.flow.port import Asker, PhotoIn
from bot.formatting import album_failure, album_lines, error_text
from core.domain import MAX_ALBUM_PHOTOS, AlbumPart
from core.errors import InvalidImage, MriError

log = logging.getLogger(__name__)


class Albums(Intake):
    async def album(
        self, asker: Asker, photos: Sequence[PhotoIn], *, addressed: bool = True
    ) -> None:
        """Up to MAX_ALBUM_PHOTOS photos as one request (one photo: as `photo`)."""
        photos = list(photos)[:MAX_ALBUM_PHOTOS]
        if len(photos) == 1:
            await self.photo(asker, photos[0], addressed=addressed)
            return
        lang = await self.lang(asker.user_id)
        try:
            session = await self.open_session(asker)
        except MriError as exc:
            await self.say(asker.target, error_text(exc, lang))
            return
        if session is None and not addressed:
            return  # photos in a group that are not meant for MRI
        refused = {
            n: f"invalid_image:{why.reason}"
            for n, photo in enumerate(photos, 1)
            if (why := self.refusal(photo)) is not None
        }
        if len(refused) == len(photos):
            await self.say(asker.target, self._failure(refused, lang))
            return
        if not await self.allowed(asker.user_id, asker.target, lang):
            return  # the album counts as one request
        await self.deliveries.typing(asker.target)
        fetched = await self._fetch(photos, refused)
        if not fetched:
            await self.say(asker.target, self._failure(refused, lang))
            return
        if session is not None:
            if refused:  # named now: the acknowledgements only speak of photos that joined
                await self.say(asker.target, "\n".join(album_lines(self._parts(refused), lang)))
            await self._join(asker, photos, fetched, session, lang)
            return
        try:
            job = await self.service.submit_album(
                platform=self.platform, chat_id=asker.chat_id,
                chat_kind="private" if asker.private else "group", user_id=asker.user_id,
                photos=fetched, refused=refused, message_ref=asker.message_ref,
                user_name=asker.name,
            )  # fmt: skip
        except MriError as exc:
            await self.say(asker.target, error_text(exc, lang, max_mb=self.max_mb))
            return
        log.info("job %s: album of %d photos from user %s in chat %s", job, len(photos),
                 asker.user_id, asker.chat_id)  # fmt: skip
        self.deliveries.follow(job, asker.target, lang)

    async def _fetch(self, photos: Sequence[PhotoIn], refused: dict[int, str]) -> dict[int, bytes]:
        """Download the photos not refused, at once; one that fails is refused too."""
        wanted = [n for n in range(1, len(photos) + 1) if n not in refused]
        got = await asyncio.gather(*(photos[n - 1].fetch() for n in wanted), return_exceptions=True)
        fetched = {}
        for n, data in zip(wanted, got, strict=True):
            if isinstance(data, InvalidImage):
                refused[n] = f"invalid_image:{data.reason}"
            elif isinstance(data, BaseException):
                raise data
            else:
                fetched[n] = data
        return fetched

    async def _join(
        self, asker: Asker, photos: Sequence[PhotoIn], fetched: dict[int, bytes], session: int,
        lang: str,
    ) -> None:  # fmt: skip
        """Each photo joins the open playlist as a member's photo would."""
        for n, data in fetched.items():
            ref = photos[n - 1].ref or f"{asker.message_ref}:{n}"
            try:
                job = await self.service.submit_photo(
                    platform=self.platform, chat_id=asker.chat_id, chat_kind="group",
                    user_id=asker.user_id, photo=data, message_ref=ref, session_id=session,
                    user_name=asker.name,
                )  # fmt: skip
            except MriError as exc:
                await self.say(asker.target, error_text(exc, lang, max_mb=self.max_mb))
                continue
            self.deliveries.follow(job, asker.target, lang, ack_as=asker.name or asker.user_id)

    @staticmethod
    def _parts(refused: dict[int, str]) -> tuple[AlbumPart, ...]:
        return tuple(AlbumPart(n, (), code) for n, code in sorted(refused.items()))

    def _failure(self, refused: dict[int, str], lang: str) -> str:
        return album_failure(self._parts(refused), lang, max_mb=self.max_mb)
