"""Albums: several photos sent together are one job and one reply: a list blended from every
usable photo that says which photo brought each song, and each photo that could not be used
named with why. SQLite and Redis + PostgreSQL."""

from __future__ import annotations

import pytest

from core import album
from core.domain import AlbumPart
from core.errors import InvalidImage, JobFailed
from tests.core.conftest import Env
from tests.core.test_service import BEACH, COFFEE, MOUNTAIN


def submit_album(env: Env, photos: dict[int, bytes], refused: dict[int, str] | None = None):  # type: ignore[no-untyped-def]
    return env.service.submit_album(
        platform="test", chat_id="c1", chat_kind="private", user_id="u1", photos=photos,
        refused=refused, message_ref="m1", user_name="민지",
    )  # fmt: skip


async def test_an_album_is_one_reply_crediting_each_photo(env: Env) -> None:
    photos = {1: COFFEE, 2: BEACH, 3: COFFEE[:2000], 5: MOUNTAIN}  # 3 is cut off
    job = await submit_album(env, photos, refused={4: "invalid_image:too_large"})
    assert env.service.queue.photos.job_ids() == [job]  # one blob for the whole album
    assert await env.run() == 1
    result = await env.service.wait(job, timeout=10)
    assert result.kind == "album" and len(result.items) == 10
    assert [(p.n, p.error) for p in result.parts] == [
        (1, None), (2, None), (3, "invalid_image:truncated"), (4, "invalid_image:too_large"),
        (5, None),
    ]  # fmt: skip
    assert "커피" in result.parts[0].tags and "바다" in result.parts[1].tags
    assert {i.from_photo for i in result.items} == {1, 2, 5}  # round-robin: each usable photo
    assert result.list_item_id is not None  # one set of votes
    assert env.service.queue.photos.job_ids() == []
    again = await submit_album(env, photos)  # the same message handed over twice: one job
    assert again == job


async def test_an_album_of_unusable_photos_fails_naming_each(env: Env) -> None:
    job = await submit_album(env, {1: COFFEE[:2000], 2: b"%PDF not a photo"})
    await env.run()
    with pytest.raises(JobFailed):
        await env.service.wait(job, timeout=10)
    result = await env.service.result(job)
    assert result.parts == (
        AlbumPart(1, (), "invalid_image:truncated"),
        AlbumPart(2, (), "invalid_image:not_image"),
    )


async def test_empty_or_oversized_photos_are_named_before_the_queue(env: Env) -> None:
    too_big = b"x" * (env.service.settings.max_image_bytes + 1)
    job = await submit_album(env, {1: b"", 2: COFFEE, 3: too_big})
    await env.run()
    result = await env.service.wait(job, timeout=10)
    assert [(p.n, p.error) for p in result.parts] == [
        (1, "invalid_image:empty"), (2, None), (3, "invalid_image:too_large"),
    ]  # fmt: skip
    with pytest.raises(InvalidImage):  # nothing left to send to a worker
        await submit_album(env, {1: b""})


async def test_forget_deletes_an_album_waiting_for_a_worker(env: Env) -> None:
    await submit_album(env, {1: COFFEE, 2: BEACH})
    assert len(env.service.queue.photos.job_ids()) == 1
    await env.service.forget_user(platform="test", user_id="u1")
    assert env.service.queue.photos.job_ids() == []


def test_pack_and_unpack() -> None:
    photos = {1: b"a", 3: b"", 10: b"x" * 1000}
    assert album.unpack(album.pack(photos)) == photos
    with pytest.raises(ValueError, match="not an album"):
        album.unpack(b"\xff\xd8 a jpeg")
    with pytest.raises(ValueError, match="cut off"):
        album.unpack(album.pack(photos)[:-1])
    with pytest.raises(ValueError, match="1 to 10"):
        album.pack({n: b"" for n in range(1, 12)})
