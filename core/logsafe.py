"""Secrets never reach a log line: every log record is redacted as it is created.

Libraries log request URLs (httpx: "HTTP Request: POST https://api.telegram.org/bot<token>/…"),
so quieting our own code is not enough. `redact_secrets` wraps the process-wide log-record
factory: a record whose message contains a registered secret has it replaced by `***` before any
handler, filter or test capture sees it. The same goes for a logged traceback, with every chained
cause and context (`raise … from exc`), and for an exception nobody catches (`sys.excepthook`).
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType
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
                text = format_exception(record.exc_info[1]).rstrip("\n")
                if mask(text) != text:  # the traceback (or a cause in it) carries a secret:
                    record.exc_text, record.exc_info = mask(text), None  # logged pre-formatted
            if record.stack_info:
                record.stack_info = mask(record.stack_info)
            return record

        logging.setLogRecordFactory(factory)
        _previous_hook = sys.excepthook

        def excepthook(
            kind: type[BaseException], exc: BaseException, tb: TracebackType | None
        ) -> None:
            if not _secrets:
                _previous_hook(kind, exc, tb)
                return
            sys.stderr.write(mask(format_exception(exc)))

        sys.excepthook = excepthook
        _installed = True


def format_exception(exc: BaseException) -> str:
    """The whole traceback as Python prints it, chained causes and contexts included."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def mask(text: str) -> str:
    """`text` with every registered secret replaced by ***."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text
