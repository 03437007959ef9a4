"""Registered secrets are masked in every log record, whoever logs them."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.logsafe import MASK, redact_secrets

ROOT = Path(__file__).resolve().parents[2]


def test_secrets_are_masked_in_messages_args_and_exceptions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = "4242:AAE-very-secret-value-xyz"
    redact_secrets(SecretStr(token), None, "")
    log = logging.getLogger("some.library")
    with caplog.at_level(logging.DEBUG):
        log.info("POST https://api.telegram.org/bot%s/sendMessage", token)
        log.debug("file url .../bot4242%%3AAAE-very-secret-value-xyz/photo")
        try:
            raise ValueError(f"bad url with {token}")
        except ValueError:
            log.exception("request failed")
        log.info("an ordinary line with %d args", 1)
    assert "very-secret" not in caplog.text
    assert caplog.text.count(MASK) == 3
    assert "an ordinary line with 1 args" in caplog.text


def test_a_secret_in_a_chained_cause_or_context_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    token = "5151:BBF-another-secret-value-q"
    redact_secrets(token)
    log = logging.getLogger("some.library")
    with caplog.at_level(logging.DEBUG):
        try:
            try:
                raise ConnectionError(f"GET https://api.telegram.org/bot{token}/getMe failed")
            except ConnectionError as exc:
                raise RuntimeError("start-up failed") from exc  # the secret is only in the cause
        except RuntimeError:
            log.exception("bot stopped")
        try:
            try:
                raise KeyError(token)
            except KeyError:
                raise ValueError("while handling it, another error")  # noqa: B904 - context
        except ValueError:
            log.error("second", exc_info=True)
    assert "another-secret" not in caplog.text
    for seen in ("start-up failed", "ConnectionError", "while handling it", "KeyError", MASK):
        assert seen in caplog.text
    assert "direct cause" in caplog.text and "During handling" in caplog.text  # whole chain


def test_an_uncaught_chained_exception_is_printed_masked(tmp_path: Path) -> None:
    token = "6161:CCG-uncaught-secret-value-r"
    script = (
        "from core.logsafe import redact_secrets\n"
        f"redact_secrets({token!r})\n"
        "try:\n"
        f"    raise OSError('url /bot' + {token!r} + '/getMe')\n"
        "except OSError as exc:\n"
        "    raise SystemError('the bot could not start') from exc\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 1
    assert "uncaught-secret" not in done.stderr + done.stdout
    assert "SystemError: the bot could not start" in done.stderr and "OSError" in done.stderr
