"""Albums: several photos sent together (a Telegram media group, a Discord message with several
images) answered as one request. Their bytes travel as one blob in the photo store (so the
store, /forget and the orphan sweep treat an album like any photo job); the worker tags each,
blends their songs (core/playlist.py) and names the photos it could not use."""

from __future__ import annotations

import struct
from collections.abc import Mapping

from core.domain import MAX_ALBUM_PHOTOS

MAGIC = b"MRI-ALBUM-1\n"
_HEAD = struct.Struct(">BI")  # position (1..10), length


def pack(photos: Mapping[int, bytes]) -> bytes:
    """position -> bytes as one blob."""
    if not 0 < len(photos) <= MAX_ALBUM_PHOTOS:
        raise ValueError(f"an album holds 1 to {MAX_ALBUM_PHOTOS} photos, not {len(photos)}")
    out = [MAGIC]
    for n, data in sorted(photos.items()):
        out += [_HEAD.pack(n, len(data)), data]
    return b"".join(out)


def unpack(blob: bytes) -> dict[int, bytes]:
    """The photos of a blob made by `pack`; ValueError for anything else."""
    if not blob.startswith(MAGIC):
        raise ValueError("not an album")
    photos, at = {}, len(MAGIC)
    while at < len(blob):
        if at + _HEAD.size > len(blob):
            raise ValueError("album cut off")
        n, size = _HEAD.unpack_from(blob, at)
        at += _HEAD.size
        if at + size > len(blob):
            raise ValueError("album cut off")
        photos[n] = blob[at : at + size]
        at += size
    return photos
