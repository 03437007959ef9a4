"""Following a job to its reply, once for every platform.

    chat action ─► answer ready within ~1 s? ── yes ─► claim ─► send ─► confirm
                        │ no
                        ▼
    placeholder (one per chat at a time) ─► "still working" ─► claim ─► edit it ─► confirm

The message budget goes to answers: a chat action first, a placeholder only when the answer
is slow and the chat shows none yet, one message per answer (an edit of the placeholder, or a
send), and group-playlist acknowledgements that come together folded into one message.

Delivery is two-phase (core/db/delivery.py): a claim with a lease, the send or edit, then the
confirmation. A send that fails, or a process that dies in between, is retried after the lease
by any adapter of the platform (`sweep`); the retry edits the message recorded for the job
(the placeholder, or the answer once sent), so people see one answer.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable

from bot.flow.acks import Acknowledgements
from bot.flow.port import Answer, MessageGone, Outgoing, ReplyTarget, SendFailed, Targets
from bot.formatting import album_failure, error_text, failure_text, notice, reply_buttons
from bot.i18n import text
from core.config import Settings
from core.domain import JobResult
from core.errors import JobFailed, JobTimeout, MriError, UnknownJob
from core.service import RecommendService

log = logging.getLogger(__name__)

TYPING_EVERY = 4.5  # a chat action shows for ~5 s, or until the bot's next message
SWEEP_GRACE_SECONDS = 5.0  # the sweep leaves fresh answers to the process waiting for them


class State(enum.Enum):
    ENDED = "ended"  # done or failed: deliver
    PENDING = "pending"  # not yet
    GONE = "gone"  # forgotten (/forget) meanwhile: nothing to deliver


class Deliveries:
    """Waits for jobs and gets each reply (or apology) into its chat. One per adapter process."""

    def __init__(
        self,
        settings: Settings,
        service: RecommendService,
        platform: str,
        targets: Targets,
        *,
        name: Callable[[str], str] = str,
    ) -> None:
        self.settings = settings
        self.service = service
        self.platform = platform
        self.targets = targets
        self.waiting: set[str] = set()  # jobs this process follows (the sweep leaves them)
        self._tasks: dict[asyncio.Task[None], str] = {}
        self._placeholders: dict[str, str] = {}  # chat -> job whose placeholder stands there
        self._shown: dict[str, str] = {}  # job -> its placeholder, while it is waited for
        self._typed: dict[str, float] = {}  # chat -> when its last chat action went out
        self.acks = Acknowledgements(service, name=name, max_mb=self.max_mb)
        self._closing = False

    @property
    def max_mb(self) -> int:
        return self.settings.max_image_bytes // (1024 * 1024)

    # -- following one job -----------------------------------------------------------------

    def follow(
        self,
        job_id: str,
        target: ReplyTarget,
        lang: str,
        *,
        ack_as: str | None = None,
        note: str | None = None,
    ) -> None:
        """Follow `job_id` in the background to its reply. `ack_as`: the photo joined a group
        playlist; acknowledge it, crediting this name. `note`: a line under the answer."""
        if self._closing:  # a reply claimed by a process that stops would wait for its lease
            return
        task = asyncio.create_task(
            self._follow(job_id, target, lang, ack_as, note), name=f"deliver-{job_id}"
        )
        self._tasks[task] = job_id
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        job_id = self._tasks.pop(task, "?")
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("job %s: delivery failed", job_id, exc_info=exc)

    async def _follow(
        self, job_id: str, target: ReplyTarget, lang: str, ack_as: str | None, note: str | None
    ) -> None:
        self.waiting.add(job_id)
        try:
            state = await self._wait(job_id, target, lang, ack=ack_as is not None)
        except MriError as exc:  # the database or queue failed while we waited
            log.warning("job %s: cannot wait for it: %s", job_id, exc)
            await self._notice(target, self._shown.get(job_id), exc, lang)
            return
        finally:
            self.waiting.discard(job_id)
            self._shown.pop(job_id, None)
        try:
            if state is not State.ENDED:  # forgotten, or given up (the sweep apologises)
                return
            if ack_as is not None and target.group and target.placeholder is None:
                await self.acks.fold(job_id, target, lang, ack_as)
            else:
                await self.deliver(job_id, target, lang, note=note)
        finally:
            if self._placeholders.get(target.chat_id) == job_id:
                del self._placeholders[target.chat_id]

    async def _wait(self, job_id: str, target: ReplyTarget, lang: str, *, ack: bool) -> State:
        """Until the job ends, showing the person that something happens meanwhile."""
        if target.placeholder is not None:  # e.g. a slash command's deferred response
            await self.service.set_reply_ref(job_id, target.placeholder)
        await self.typing(target)
        quick = min(self.settings.placeholder_after_seconds, self.settings.job_wait_seconds)
        state = await self._ended(job_id, quick)
        if state is not State.PENDING:
            return state
        shown = await self._show_placeholder(job_id, target, lang, ack=ack)
        state = await self._ended(job_id, max(self.settings.job_wait_seconds - quick, 0.05))
        if state is not State.PENDING:
            return state
        if shown is not None:
            await self._edit_quietly(target, shown, text("still_working", lang))
        deadline = time.monotonic() + self.settings.job_expire_seconds
        while state is State.PENDING and time.monotonic() < deadline:
            state = await self._ended(job_id, self.settings.job_wait_seconds)
        return state

    async def _ended(self, job_id: str, timeout: float) -> State:
        try:
            await self.service.wait(job_id, timeout=max(timeout, 0.01))
        except JobFailed:
            return State.ENDED
        except JobTimeout:
            return State.PENDING
        except UnknownJob:
            log.info("job %s is gone (forgotten); nothing to deliver", job_id)
            return State.GONE
        return State.ENDED

    async def typing(self, target: ReplyTarget) -> None:
        """A chat action, at most one per chat every few seconds (it lasts ~5 s anyway)."""
        now = time.monotonic()
        if now - self._typed.get(target.chat_id, -TYPING_EVERY) < TYPING_EVERY:
            return
        self._typed[target.chat_id] = now
        if len(self._typed) > 10_000:  # forget chats that went quiet
            self._typed = {c: t for c, t in self._typed.items() if now - t < TYPING_EVERY}
        await target.typing()

    async def _show_placeholder(
        self, job_id: str, target: ReplyTarget, lang: str, *, ack: bool
    ) -> str | None:
        """ "Listening…" for a slow answer, unless the request already shows a message, the
        chat shows another request's placeholder (one at a time per chat: a person who sends
        ten photos at once sees one), or it is a group acknowledgement (they fold)."""
        if target.placeholder is not None:
            self._shown[job_id] = target.placeholder
            return target.placeholder
        if (ack and target.group) or target.chat_id in self._placeholders:
            return None
        self._placeholders[target.chat_id] = job_id
        try:
            ref = await target.send(Outgoing(text=text("listening", lang)), key=f"p:{job_id}")
        except SendFailed as exc:
            log.info("job %s: no placeholder (%s)", job_id, exc)
            del self._placeholders[target.chat_id]
            return None
        self._shown[job_id] = ref
        await self.service.set_reply_ref(job_id, ref)
        return ref

    # -- delivering: claim, send or edit, confirm -------------------------------------------

    async def deliver(
        self, job_id: str, target: ReplyTarget, lang: str, *, note: str | None = None
    ) -> bool:
        """Send (or edit in) the reply unless another waiter or process holds or did it."""
        claim = await self.service.claim_delivery(job_id)
        if claim is None:
            return False
        try:
            result = await self.service.result(job_id)
            message = await self._message(result, lang, note, fresh=claim.attempt == 1)
            ref = await self._put(target, claim.reply_ref, message, key=f"a:{job_id}")
        except UnknownJob:  # forgotten between the claim and now: nothing to deliver
            return False
        except (SendFailed, MriError) as exc:
            permanent = isinstance(exc, SendFailed) and exc.permanent
            await self.service.release_delivery(job_id, str(exc), permanent=permanent)
            return False
        await self.service.confirm_delivery(job_id, ref)
        log.info("job %s delivered (message %s, attempt %d)", job_id, ref, claim.attempt)
        return True

    async def _put(self, target: ReplyTarget, ref: str | None, message: Outgoing, key: str) -> str:
        """Edit the job's message if it has one (a retry repeats the edit, not the message),
        else send a new one."""
        if ref is not None:
            try:
                await target.edit(ref, message)
                return ref
            except MessageGone:
                log.info("message %s is gone; sending the reply anew", ref)
        return await target.send(message, key=key)

    async def _message(
        self, result: JobResult, lang: str, note: str | None, *, fresh: bool
    ) -> Outgoing:
        if result.status != "done" and result.parts:  # an album none of whose photos worked
            return Outgoing(text=album_failure(result.parts, lang, max_mb=self.max_mb))
        if result.status != "done":
            code = result.error or result.status
            return Outgoing(text=failure_text(code, lang, max_mb=self.max_mb))
        if result.kind == "photo" and result.session_id is not None:
            return Outgoing(text=self.acks.line(result, lang, None))
        # A first attempt shows no votes yet; a retry may follow votes on a visible reply.
        totals = {} if fresh else await self.service.vote_totals(result.job_id)
        return Outgoing(
            answer=Answer(result, lang, notice(result, lang) or note, self.max_mb),
            buttons=reply_buttons(result, totals, lang),
        )

    # -- notices ------------------------------------------------------------------------------

    async def _notice(self, target: ReplyTarget, ref: str | None, exc: MriError, lang: str) -> None:
        """The polite sentence for an error, in place of the placeholder if there is one."""
        sentence = Outgoing(text=error_text(exc, lang, max_mb=self.max_mb))
        try:
            await self._put(target, ref, sentence, key=f"n:{id(exc)}")
        except SendFailed as failed:
            log.info("could not tell chat %s about an error: %s", target.chat_id, failed)

    async def _edit_quietly(self, target: ReplyTarget, ref: str, sentence: str) -> None:
        try:
            await target.edit(ref, Outgoing(text=sentence))
        except (MessageGone, SendFailed) as exc:
            log.info("could not update message %s: %s", ref, exc)

    # -- replies nobody waits for any more ----------------------------------------------------

    async def sweep(self) -> int:
        """Deliver what this platform still owes: answers that came after their adapter
        stopped, sends that failed, claims whose adapter died (once their lease is over)."""
        sent = 0
        try:
            owed = await self.service.undelivered(self.platform, older_than=SWEEP_GRACE_SECONDS)
        except MriError as exc:
            log.warning("late-delivery sweep failed: %s", exc)
            return 0
        for job_id in owed:
            if job_id in self.waiting or self._closing:
                continue
            try:
                result = await self.service.result(job_id)
                lang = await self.service.language(platform=self.platform, user_id=result.user_id)
            except MriError as exc:
                log.info("job %s: not delivered late: %s", job_id, exc)
                continue
            target = self.targets.for_chat(result.chat_id, quote=result.message_ref)
            sent += await self.deliver(job_id, target, lang)
        if sent:
            log.info("delivered %d answer(s) late", sent)
        return sent

    async def idle(self) -> None:
        """Until no reply is being followed (tests, graceful stops)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop following jobs that have not ended (the next start's sweep delivers them);
        replies being delivered right now finish first, so none is claimed and then held."""
        self._closing = True
        tasks = list(self._tasks.items())
        for task, job_id in tasks:
            if job_id in self.waiting:
                task.cancel()
        await asyncio.gather(*(task for task, _ in tasks), return_exceptions=True)
