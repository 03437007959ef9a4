"""Secrets never reach a log line: every log record is redacted as it is created.

Libraries log request URLs (httpx: "HTTP Request: POST https://api.telegram.org/bot<token>/…"),
so quieting our own code is not enough. `redact_secrets` wraps the process-wide log-record
factory: a record whose message contains a registered secret has it replaced by `***` before any
handler, filter or test capture sees it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pydantic import SecretStr

MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def redact_secrets(*values: SecretStr | str | None) -> None:
    """Register secrets (and each part of a `id:secret` token) to be masked in all log records."""
    global _installed
    with _lock:
        for value in values:
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not raw or len(raw) < 6:
                continue
            _secrets.add(raw)
            _secrets.update(part for part in raw.split(":") if len(part) >= 12)
        if _installed or not _secrets:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a malformed call: leave it to logging to report
                return record
            masked = mask(message)
            if masked != message:
                record.msg, record.args = masked, ()
            if record.exc_info and record.exc_info[1] is not None:
                text = str(record.exc_info[1])
                if mask(text) != text:  # the exception text itself carries a secret
                    record.msg = f"{record.msg} [{type(record.exc_info[1]).__name__}: {mask(text)}]"
                    record.exc_info = None
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def mask(text: str) -> str:
    """`text` with every registered secret replaced by ***."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text
