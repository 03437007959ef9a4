"""Registered secrets are masked in every log record, whoever logs them."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from core.logsafe import MASK, redact_secrets


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
