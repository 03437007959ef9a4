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
