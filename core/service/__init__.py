"""The one door adapters use into MRI: `RecommendService` (see facade.py), and what a bot
process needs at start-up (waiting for servers that are not up yet, keeping secrets out of the
logs). Adapters import core only through here, core.domain, core.errors and core.config
(import-linter checks it)."""

from core.errors import NoOpenPlaylist
from core.logsafe import redact_secrets
from core.service.accounts import LANGUAGES, ServiceStatus
from core.service.facade import RecommendService
from core.startup import describe_url, reason, retry_async

__all__ = [
    "LANGUAGES",
    "NoOpenPlaylist",
    "RecommendService",
    "ServiceStatus",
    "describe_url",
    "reason",
    "redact_secrets",
    "retry_async",
]
