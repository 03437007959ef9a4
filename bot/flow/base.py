"""What every part of the conversation shares: the service, the person's language, one polite
sentence in the request's place, the per-person rate limit, and the deliveries."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping

from bot.flow.delivery import Deliveries
from bot.flow.port import Outgoing, ReplyTarget, SendFailed, Targets
from bot.i18n import text
from bot.ratelimit import RateLimiter
from core.config import Settings
from core.errors import MriError
from core.service import RecommendService

log = logging.getLogger(__name__)


def unique_key(kind: str) -> str:
    """A message key that never repeats (a notice is no retry of an earlier one)."""
    return f"{kind}:{uuid.uuid4().hex}"


class FlowBase:
    """One per adapter process. `wording` names a platform's own sentence for a key where the
    two differ (Discord's /playlist start instead of /playlist, for instance); `name` writes a
    member's name into a sentence (Discord escapes its markdown)."""

    def __init__(
        self,
        settings: Settings,
        service: RecommendService,
        platform: str,
        targets: Targets,
        *,
        wording: Mapping[str, str] | None = None,
        name: Callable[[str], str] = str,
    ) -> None:
        self.settings = settings
        self.service = service
        self.platform = platform
        self.targets = targets
        self.wording = dict(wording or {})
        self.deliveries = Deliveries(settings, service, platform, targets, name=name)
        self.limiter = RateLimiter(settings.user_requests_per_minute, 60.0)

    @property
    def max_mb(self) -> int:
        return self.settings.max_image_bytes // (1024 * 1024)

    def text(self, key: str, lang: str, **values: object) -> str:
        """The sentence `key`, in this platform's wording where it has its own."""
        return text(self.wording.get(key, key), lang, **values)

    async def lang(self, user_id: str) -> str:
        try:
            return await self.service.language(platform=self.platform, user_id=user_id)
        except MriError as exc:  # the database is down: still answer, in the default
            log.warning("language of %s unknown: %s", user_id, exc)
            return "ko"

    async def show(self, target: ReplyTarget, message: Outgoing) -> None:
        """A message for this request: in its standing message (a slash command's deferred
        response), or as a new one."""
        try:
            if target.placeholder is not None:
                await target.edit(target.placeholder, message)
            else:
                await target.send(message, key=unique_key("n"))
        except (SendFailed, MriError) as exc:
            log.info("could not answer in chat %s: %s", target.chat_id, exc)

    async def say(self, target: ReplyTarget, sentence: str) -> None:
        await self.show(target, Outgoing(text=sentence))

    async def allowed(self, user_id: str, target: ReplyTarget, lang: str) -> bool:
        """The per-person rate limit; a friendly sentence when over it."""
        key = f"{self.platform}:{user_id}"
        if self.limiter.hit(key):
            return True
        await self.say(target, text("rate_limited", lang, seconds=self.limiter.retry_after(key)))
        return False

    # -- the process ---------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Run by the platform's scheduler: replies still owed (bot/flow/delivery.py)."""
        return await self.deliveries.sweep()

    async def idle(self) -> None:
        """Until no reply is being followed (tests, graceful stops)."""
        await self.deliveries.idle()

    async def close(self) -> None:
        await self.deliveries.close()
