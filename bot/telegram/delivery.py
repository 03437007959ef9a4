"""Getting an answer to the chat exactly once: wait, say "still working", deliver later.

Every reply goes through `Delivery.finish`, which first claims the job's delivery in the
database, so a job answered by this process, by another bot process, or again after a restart
is sent once. Answers whose bot process died while waiting are found by `deliver_orphans`.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.formatting import error_text, hashtags
from bot.i18n import text
from bot.telegram.render import reply_html, vote_keyboard
from core.config import Settings
from core.domain import JobResult
from core.errors import JobFailed, JobTimeout, MriError, UnknownJob
from core.service import RecommendService

log = logging.getLogger(__name__)
PLATFORM = "telegram"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class Delivery:
    """Waits for jobs and sends their answers (or apologies) into their chats."""

    def __init__(self, settings: Settings, service: RecommendService, bot: Bot) -> None:
        self.settings = settings
        self.service = service
        self.bot = bot
        self.waiting: set[str] = set()  # jobs this process is waiting for
        self._tasks: dict[asyncio.Task[None], str] = {}  # follow() running in the background

    def start(
        self,
        job_id: str,
        placeholder: Message | None,
        lang: str,
        *,
        on_done: str = "reply",
        who: str | None = None,
    ) -> None:
        """`follow` in the background. A plain task, not `Application.create_task`: stopping the
        bot must not wait for jobs that no worker has finished (`close` lets those go)."""
        task = asyncio.create_task(
            self.follow(job_id, placeholder, lang, on_done=on_done, who=who),
            name=f"deliver-{job_id}",
        )
        self._tasks[task] = job_id
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        job_id = self._tasks.pop(task, "?")
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("job %s: delivery failed", job_id, exc_info=exc)

    async def close(self) -> None:
        """Stop following. Jobs still unfinished are let go: the late-delivery sweep of the next
        start sends them (`claim_delivery` keeps that to once). Replies already claimed are sent
        first, so none is claimed and then lost."""
        tasks = list(self._tasks.items())
        for task, job_id in tasks:
            if job_id in self.waiting:
                task.cancel()
        await asyncio.gather(*(task for task, _ in tasks), return_exceptions=True)

    async def follow(
        self,
        job_id: str,
        placeholder: Message | None,
        lang: str,
        *,
        on_done: str = "reply",
        who: str | None = None,
    ) -> None:
        """Wait for `job_id` and deliver it; on_done='ack' sends a short playlist note instead,
        crediting `who` (the sender's display name)."""
        self.waiting.add(job_id)
        try:
            outcome: JobResult | JobFailed = await self._wait(job_id, placeholder, lang)
        except JobFailed as exc:
            outcome = exc
        except UnknownJob:  # forgotten (/forget) while we waited: nothing to send
            return
        except MriError as exc:
            await self._edit(placeholder, error_text(exc, lang))
            return
        finally:
            self.waiting.discard(job_id)  # from here on the reply is claimed: `close` waits
        if await self.service.claim_delivery(job_id) is None:
            return
        try:
            if isinstance(outcome, JobFailed):
                text_ = error_text(outcome, lang)
                ref = await self._show(placeholder, await self.service.result(job_id), text_)
            elif on_done == "ack":
                ref = await self._ack_playlist(outcome, placeholder, lang, who or outcome.user_id)
            else:
                ref = await self.send_result(outcome, placeholder, lang)
        except TelegramError as exc:  # retried after the lease by any bot process
            await self.service.release_delivery(job_id, str(exc))
            return
        await self.service.confirm_delivery(job_id, ref)

    async def _wait(self, job_id: str, placeholder: Message | None, lang: str) -> JobResult:
        deadline = time.monotonic() + self.settings.job_expire_seconds
        told = False
        while True:
            try:
                return await self.service.wait(job_id, timeout=self.settings.job_wait_seconds)
            except JobTimeout:
                if time.monotonic() > deadline:
                    raise JobFailed("expired", "gave up waiting") from None
                if not told:
                    told = True
                    await self._edit(placeholder, text("still_working", lang))

    async def send_result(self, result: JobResult, placeholder: Message | None, lang: str) -> str:
        """The reply: edit the placeholder in place, or send a new message replying to the photo."""
        totals = await self.service.vote_totals(result.job_id)
        body, keyboard = reply_html(result, lang), vote_keyboard(result, totals, lang)
        if placeholder is not None:
            try:
                await placeholder.edit_text(
                    body,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    link_preview_options=NO_PREVIEW,
                )
                return str(placeholder.message_id)
            except BadRequest as exc:  # deleted meanwhile: send a fresh message instead
                log.info("job %s: placeholder not editable (%s)", result.job_id, exc)
        sent = await self.bot.send_message(
            chat_id=int(result.chat_id),
            text=body,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            link_preview_options=NO_PREVIEW,
            reply_to_message_id=_message_id(result.message_ref),
            allow_sending_without_reply=True,
        )
        return str(sent.message_id)

    async def _ack_playlist(
        self, result: JobResult, placeholder: Message | None, lang: str, who: str
    ) -> str:
        tags = hashtags(result.tags, limit=3)
        return await self._show(
            placeholder, result, text("playlist_joined", lang, user=who, tags=tags)
        )

    async def _show(self, placeholder: Message | None, result: JobResult, message: str) -> str:
        if placeholder is not None:
            await self._edit(placeholder, message)
            return str(placeholder.message_id)
        sent = await self.bot.send_message(
            chat_id=int(result.chat_id),
            text=message,
            reply_to_message_id=_message_id(result.message_ref),
            allow_sending_without_reply=True,
        )
        return str(sent.message_id)

    async def _edit(self, placeholder: Message | None, message: str) -> None:
        if placeholder is None:
            return
        try:
            await placeholder.edit_text(message)
        except TelegramError as exc:
            log.info("could not edit placeholder %s: %s", placeholder.message_id, exc)

    async def deliver_orphans(self, lang_of: dict[str, str] | None = None) -> int:
        """Send answers nobody in this process waits for (e.g. after a bot restart)."""
        sent = 0
        for job_id in await self.service.undelivered(PLATFORM):
            if job_id in self.waiting:
                continue
            try:
                result = await self.service.result(job_id)
                if await self.service.claim_delivery(job_id) is None:
                    continue
            except MriError as exc:
                log.warning("job %s: late delivery failed: %s", job_id, exc)
                continue
            try:
                lang = await self.service.language(platform=PLATFORM, user_id=result.user_id)
                if result.status == "done":
                    ref = await self.send_result(result, None, lang)
                else:
                    failure = error_text(JobFailed(result.error or result.status, ""), lang)
                    ref = await self._show(None, result, failure)
                await self.service.confirm_delivery(job_id, ref)
                sent += 1
            except (MriError, TelegramError) as exc:
                await self.service.release_delivery(job_id, str(exc))
        return sent

    async def sweep(self, context: object = None) -> None:
        """A JobQueue job: late answers arrive within MRI_DELIVERY_SWEEP_SECONDS."""
        try:
            await self.deliver_orphans()
        except (MriError, TelegramError, OSError) as exc:
            log.warning("late-delivery sweep failed: %s", exc)


def _message_id(ref: str | None) -> int | None:
    return int(ref) if ref and ref.isdigit() else None
