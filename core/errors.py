"""Narrow errors. Adapters turn each into one friendly sentence; nothing here is user text."""

from __future__ import annotations


class MriError(Exception):
    """Base class for every error MRI raises on purpose."""


class InvalidImage(MriError):  # noqa: N818 - the name reads as what the input is
    """The bytes are not a usable photo (empty, not an image, truncated, too big, a bomb)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = (
            reason  # machine-readable: empty, too_large, not_image, truncated, too_many_pixels
        )


class CatalogError(MriError):
    """The catalog folder is missing, incomplete, or does not match its manifest."""


class TaggerUnavailable(MriError):  # noqa: N818
    """The configured tagger cannot run here (weights missing, unknown name)."""


class EmptyQuery(MriError):  # noqa: N818
    """Nothing in the query maps to a catalog tag."""


class UnknownJob(MriError):  # noqa: N818
    """No job with this id (never submitted, or forgotten)."""


class JobTimeout(MriError):  # noqa: N818
    """The job is not finished yet; the answer will come later."""


class JobFailed(MriError):  # noqa: N818
    """The job ended without an answer; `code` says why (invalid_image, no_tags, error, expired)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class UnknownItem(MriError):  # noqa: N818
    """A vote on a song that is not (or no longer) in any reply."""


class DuplicateVote(MriError):  # noqa: N818
    """The user already gave this item exactly this vote."""


class NoOpenPlaylist(MriError):  # noqa: N818
    """`/playlist done` in a chat without an open playlist session."""


class NotAllowed(MriError):  # noqa: N818
    """The user may not do this here (e.g. vote on an item from another chat)."""


class QueueUnavailable(MriError):  # noqa: N818
    """The job queue, photo store or database cannot be used now (Redis down, disk full,
    SQLite locked past its busy timeout): nothing was stored; the person may try again."""


class InputFileError(MriError, ValueError):
    """A file given as input is missing, unreadable or not in the expected shape; the message
    names the file (and the line or item where that helps)."""


class ServiceUnreachable(MriError):  # noqa: N818
    """A server MRI needs (PostgreSQL, Redis, Telegram, Discord) cannot be reached; the message
    names it (never with a password) and says why."""


class ConfigError(MriError):
    """A setting is missing or wrong (a token, the webhook secret); the message names the
    MRI_ variable and says what to do."""
