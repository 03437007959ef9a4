"""Untrusted inputs, fuzzed with hypothesis: image bytes, text queries and vote buttons.

Each property says what may come out: an answer or the one typed error an adapter turns into
a polite sentence, never another exception. Derandomized (the same examples on every run) and
at most 100 examples per property, so the whole file runs in seconds.
"""

from __future__ import annotations

import contextlib
import functools
import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image, ImageFile
from sqlalchemy import select

from bot.formatting import parse_vote, vote_data
from core.config import Settings
from core.db.models import Request, User
from core.errors import EmptyQuery, InvalidImage
from core.imaging import load_image
from core.pipeline import Pipeline
from core.service import RecommendService
from tests.backends import postgres_database

MB = 1024 * 1024
LIMITS: dict[str, int] = {"max_bytes": 20 * MB, "max_pixels": 40_000_000}
FUZZ = hsettings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _noise(width: int = 24, height: int = 16) -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


SEEDS = {
    "png": encode(_noise(), "PNG"),
    "jpeg": encode(_noise(), "JPEG", quality=80),
    "gif": encode(_noise().convert("P"), "GIF"),
    "webp": encode(_noise(), "WEBP"),
    "png_palette_alpha": encode(_noise().convert("P"), "PNG", transparency=0),
}


def with_ihdr_size(png: bytes, width: int, height: int) -> bytes:
    """Rewrite a PNG's declared size (IHDR) with a valid CRC; the pixel data stays tiny."""
    chunk = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + png[33:]


def load_or_refuse(data: bytes) -> None:
    """The whole contract of the loader: an RGB image, or InvalidImage with a sentence."""
    try:
        image = load_image(data, **LIMITS)
    except InvalidImage as exc:
        assert exc.reason in {
            "empty", "too_large", "not_image", "truncated", "too_many_pixels", "unsupported",
        }  # fmt: skip
        assert str(exc).startswith("Sorry,")
        return
    assert image.mode == "RGB" and image.width * image.height <= LIMITS["max_pixels"]


# -- the image loader ----------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4096))
@example(b"")
@example(b"\x89PNG\r\n\x1a\n")
@example(b"\xff\xd8\xff")
@example(b"GIF89a")
@example(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
def test_arbitrary_bytes_are_an_image_or_invalid_image(data: bytes) -> None:
    load_or_refuse(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real PNG/JPEG/GIF/WebP with a few bytes flipped, a slice cut out or bytes inserted."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        start = draw(st.integers(0, len(data)))
        data[start : start + draw(st.integers(0, 64))] = b""
    if draw(st.booleans()):
        data[draw(st.integers(0, len(data))) : 0] = draw(st.binary(min_size=1, max_size=32))
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_real_images_are_an_image_or_invalid_image(data: bytes) -> None:
    load_or_refuse(data)


@FUZZ
@given(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1))
@example(30_000, 30_000)
@example(1, 2**31 - 1)
def test_any_declared_png_size_is_an_image_or_invalid_image(width: int, height: int) -> None:
    """The header may claim anything; the pixels stay those of an 8x8 picture."""
    load_or_refuse(with_ihdr_size(encode(Image.new("L", (8, 8)), "PNG"), width, height))


def _forbid(monkeypatch: pytest.MonkeyPatch, *targets: tuple[object, str]) -> None:
    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoding started before the upload was refused")

    for owner, name in targets:
        monkeypatch.setattr(owner, name, must_not_run)


def test_a_file_one_byte_over_20_mb_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    png = SEEDS["png"]
    at_limit = png + bytes(LIMITS["max_bytes"] - len(png))

    class OpenedError(Exception):
        pass

    def opened(*args: object, **kwargs: object) -> None:
        raise OpenedError

    monkeypatch.setattr(Image, "open", opened)
    with pytest.raises(OpenedError):  # exactly 20 MB is not refused for its size: it gets decoded
        load_image(at_limit, **LIMITS)
    _forbid(monkeypatch, (Image, "open"), (Image.Image, "load"), (ImageFile.ImageFile, "load"))
    with pytest.raises(InvalidImage) as info:
        load_image(at_limit + b"\x00", **LIMITS)
    assert info.value.reason == "too_large"  # one byte over: the sizes differ only in bytes
    assert "(20,971,521 bytes; the limit is 20,971,520 bytes)" in str(info.value)


def test_a_png_declaring_30000x30000_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = with_ihdr_size(encode(Image.new("L", (8, 8)), "PNG"), 30_000, 30_000)
    assert len(bomb) < 1000  # 900 megapixels declared in a few bytes
    _forbid(monkeypatch, (Image.Image, "load"), (ImageFile.ImageFile, "load"))
    with pytest.raises(InvalidImage) as info:
        load_image(bomb, **LIMITS)
    assert info.value.reason == "too_many_pixels"


# -- the text query ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recommend_text() -> Callable[[str], None]:
    """Pipeline.recommend_text on the embedded catalog (the image model is never loaded)."""
    pipeline = Pipeline.from_settings(Settings())

    def run(raw: str) -> None:
        query = raw.strip()[:500]  # what RecommendService.submit_text stores
        if not query:
            return  # the service refuses an empty query before queueing it
        try:
            rec = pipeline.recommend_text(query)
        except EmptyQuery:
            return
        assert rec.songs and len(rec.songs) <= pipeline.settings.top_k
        assert rec.extra["query_tags"] and len(rec.extra["query_tags"]) <= 12

    return run


KOREANISH = "비 오는 날 카페 새벽 드라이브 신나는 잔잔한 겨울밤 ㅋㅎ ,.!?~#/·\n"


@hsettings(FUZZ, max_examples=50)  # kiwi and e5 per example: keep the file at seconds
@given(st.one_of(st.text(max_size=300), st.text(alphabet=KOREANISH, max_size=120)))
@example("가" * 100_000)  # one 500-character "word" after the service's cut
@example("비 " * 50_000)
@example("🎧" * 10_000)
@example("\u202e\u0000\ufeff새벽\u200b드라이브")
def test_any_text_query_gives_tags_or_empty_query(
    recommend_text: Callable[[str], None], text: str
) -> None:
    recommend_text(text)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_the_service_stores_at_most_500_characters_and_no_nul(
    tmp_path: Path, backend: str
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        url = stack.enter_context(postgres_database()) if backend == "postgres" else None
        service = RecommendService.from_settings(
            Settings(data_dir=tmp_path / "var", database_url=url)
        )
        stack.push_async_callback(service.aclose)
        submit = functools.partial(
            service.submit_text, platform="test", chat_id="c", chat_kind="private"
        )
        job = await submit(user_id="u", text="  \x00비 오는 날 " * 200_000, user_name="\x00민지")
        nul = await submit(user_id="v", text="비\x00오는 날", user_name="\x00" * 3)
        with service.db.reader() as s:
            stored = dict(s.execute(select(Request.job_id, Request.query_text)).all())
            names = set(s.scalars(select(User.display_name)))
        assert len(stored[job]) == 500 and stored[job].startswith("비 오는 날")
        assert stored[nul] == "비오는 날" and names == {"민지", None}
        with pytest.raises(ValueError, match="empty"):
            await submit(user_id="u", text=" \n\t\x00 ")


# -- vote buttons --------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=80))
@example("v:1:")
@example("v:1:+-")
@example("v:²:+")
@example("v:١٢:+")
@example("v:" + "9" * 40 + ":+")
@example("v:12:+\n")
def test_parse_vote_never_raises_and_accepts_only_well_formed_data(data: str) -> None:
    vote = parse_vote(data)
    if vote is not None:
        item, value = vote
        prefix, digits, sign = data.split(":")
        assert prefix == "v" and digits.isascii() and int(digits) == item < 2**63
        assert value == (1 if sign == "+" else -1) and sign in ("+", "-")


@FUZZ
@given(st.from_regex(r"v:[0-9]{0,20}:[+\-]{0,2}", fullmatch=True))
def test_parse_vote_near_misses(data: str) -> None:
    vote = parse_vote(data)
    digits, sign = data.split(":")[1:]
    assert (vote is not None) == (1 <= len(digits) <= 18 and sign in ("+", "-"))


@FUZZ
@given(st.integers(0, 10**18 - 1), st.sampled_from([1, -1]))
def test_parse_vote_reads_what_vote_data_wrote(item: int, value: int) -> None:
    data = vote_data(item, value)
    assert len(data.encode()) <= 64  # Telegram's limit for callback data
    assert parse_vote(data) == (item, value)
