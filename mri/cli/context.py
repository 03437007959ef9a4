"""What every command does first: read Settings, configure logging, register the secrets."""

from __future__ import annotations

import logging
import sys

from core.config import Settings
from core.logsafe import redact_secrets

log = logging.getLogger("mri")


def load_settings(*, quiet: bool = False) -> Settings:
    """Settings from the environment and .env (a wrong value becomes one sentence in
    errors.py), with logging configured once for this process."""
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "faiss", "numba", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if settings.offline:
        from core.tagging.hub import set_offline

        set_offline()
    redact_secrets(*settings.secret_values())
    if not quiet:
        log.info("data folder %s; database %s", settings.data_dir, safe_url(settings))
    return settings


def safe_url(settings: Settings) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)
