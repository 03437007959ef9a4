"""Steering replies through python-telegram-bot's real Application and a real job runner: drop
a tag, nudge the mood, more like this, a text reply with +tag -tag, inline mode; what is stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Update

from core.catalog import load_catalog
from core.db.models import Request, TagCorrection
from core.steering import EnergyAxis
from tests.bot.telegram.conftest import Bot, jpeg, private, user

ALICE = user(11, "민지")
pytestmark = pytest.mark.slow


def rows(reply: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return reply["reply_markup"]["inline_keyboard"]  # type: ignore[no-any-return]


def hashtags(reply: dict[str, Any]) -> list[str]:
    """The tags line of an answer (its first line)."""
    return [t.lstrip("#") for t in str(reply["text"]).splitlines()[0].split()]


def shown(tg: Bot, reply: dict[str, Any], message_id: int) -> dict[str, Any]:
    """The bot's message as a person's client has it (with its buttons: the forgery check)."""
    message = tg.bot_message({"chat_id": reply["chat_id"], "message_id": message_id,
                              "text": reply["text"]})  # fmt: skip
    message["reply_markup"] = reply["reply_markup"]
    return message


async def answered(tg: Bot, photo: str = "coffee.png") -> tuple[dict[str, Any], int]:
    await tg.send(tg.photo(private(11), ALICE, jpeg(photo)))
    reply = await tg.reply_with("melon.com")
    message_id = tg.api.sent("sendMessage")[-1].result["message_id"]
    return reply, int(message_id)


async def edited(tg: Bot, message_id: int, needle: str) -> dict[str, Any]:
    call = await tg.api.wait_for(
        lambda c: (
            c.method == "editMessageText"
            and int(c.params.get("message_id", 0)) == message_id
            and needle in str(c.params.get("text", ""))
        )
    )
    return call.params


def count(tg: Bot, model: Any, *where: Any) -> int:
    with tg.service.db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_tapping_a_tag_drops_it_in_the_same_message_and_is_stored(tg: Bot) -> None:
    reply, message_id = await answered(tg)
    chips = rows(reply)[11]
    first = hashtags(reply)[0]
    assert chips[0]["text"] == f"✕ {first}"
    up = rows(reply)[0][0]["callback_data"]
    await tg.tap(ALICE, shown(tg, reply, message_id), up)  # a vote on the first revision
    await tg.tap(ALICE, shown(tg, reply, message_id), chips[0]["callback_data"])
    revised = await edited(tg, message_id, "다시 고른 노래")
    assert first not in hashtags(revised)
    assert hashtags(revised)[0] == hashtags(reply)[1]  # the next tag moves up
    assert str(revised["text"]).count("melon.com") == 10
    assert len(tg.api.sent("sendMessage")) == 1  # drawn in the same message
    notes = [c.params.get("text") for c in tg.api.sent("answerCallbackQuery")]
    assert "다시 고르는 중…" in notes
    # the correction is stored against the photo's reply, with the tagger that showed the tag
    with tg.service.db.reader() as s:
        rows_ = s.execute(select(TagCorrection.tagger, TagCorrection.action)).all()
    assert rows_ == [("imagenet", "drop")]
    with tg.service.db.reader() as s:  # what the tagger saw: class indices and weights only
        evidence = s.scalar(select(Request.evidence).where(Request.kind == "photo"))
    assert set(evidence) == {"classes"} and len(evidence["classes"]) == 10
    assert sum(e for _, e in evidence["classes"]) == pytest.approx(1.0, abs=1e-3)
    # the vote stays with the revision it was cast on; the new buttons are new items
    old_item = int(up.split(":")[1])
    vote = await tg.service.current_vote(platform="telegram", user_id="11", item_id=old_item)
    assert vote == 1
    assert rows(revised)[0][0]["callback_data"] != up
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows(revised) for b in row)


async def test_nudging_the_mood_moves_tags_along_the_energy_axis(tg: Bot) -> None:
    reply, message_id = await answered(tg)
    livelier = next(b for b in rows(reply)[12] if b["text"] == "⚡ 더 신나게")
    await tg.tap(ALICE, shown(tg, reply, message_id), livelier["callback_data"])
    revised = await edited(tg, message_id, "다시 고른 노래")
    axis = EnergyAxis(load_catalog(tg.settings.catalog_dir))
    key = {d: k for k, d in zip(axis.catalog.tag_keys, axis.catalog.tag_display, strict=True)}

    def energy(tags: list[str]) -> float:
        return sum(axis.of(key.get(t, t)) for t in tags) / len(tags)

    assert energy(hashtags(revised)) > energy(hashtags(reply))
    with tg.service.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(TagCorrection)) == 0  # not a correction


async def test_more_like_this_answers_with_a_new_message(tg: Bot) -> None:
    reply, message_id = await answered(tg)
    similar = rows(reply)[0][2]
    assert similar["text"].endswith("비슷한 곡")
    bob = user(12, "준호")  # anyone in the chat may ask for songs like one
    await tg.tap(bob, shown(tg, reply, message_id), similar["callback_data"])
    like = await tg.reply_with("비슷한 노래")
    seed = str(reply["text"]).splitlines()[3]  # "1. <a …>title – artist</a> …"
    seed_artist = seed.split(" – ")[1].split("<")[0]
    assert str(like["text"]).count("melon.com") == 10
    assert seed_artist not in str(like["text"]).split("\n", 3)[3]
    assert len(tg.api.sent("sendMessage")) == 2


async def test_a_text_reply_adds_and_drops_tags(tg: Bot) -> None:
    reply, message_id = await answered(tg)
    first = hashtags(reply)[0]
    bot_message = shown(tg, reply, message_id)
    words = f"+바다 -{first}"
    await tg.send(tg.message(private(11), ALICE, text=words, reply_to_message=bot_message))
    revised = await edited(tg, message_id, "다시 고른 노래")
    assert hashtags(revised)[0] == "바다" and first not in hashtags(revised)
    with tg.service.db.reader() as s:
        got = sorted(s.execute(select(TagCorrection.action, TagCorrection.tag)).all())
    assert got == [("add", "바다"), ("drop", first)]
    # a tag MRI does not know is named, the rest still happens
    await tg.send(tg.message(private(11), ALICE, text="+없는태그", reply_to_message=bot_message))
    again = await edited(tg, message_id, "이 태그는 몰라요: 없는태그")
    assert hashtags(again)[0] == "바다"
    # words that steer nothing get the usage line
    await tg.send(tg.message(private(11), ALICE, text="고마워", reply_to_message=bot_message))
    assert "더 신나게" in (await tg.reply_with("답장으로"))["text"]


async def test_only_the_asker_steers_and_forget_takes_corrections(tg: Bot) -> None:
    reply, message_id = await answered(tg)
    chip = rows(reply)[11][0]["callback_data"]
    await tg.tap(user(12, "준호"), shown(tg, reply, message_id), chip)
    note = (await tg.api.wait_for(lambda c: c.method == "answerCallbackQuery")).params
    assert note["text"].startswith("사진을 보낸 분만") and note["show_alert"] is True
    forged = chip.rsplit(":", 1)[0] + ":9"  # not on the message: refused
    await tg.tap(ALICE, shown(tg, reply, message_id), forged)
    await tg.tap(ALICE, shown(tg, reply, message_id), chip)
    await edited(tg, message_id, "다시 고른 노래")
    assert count(tg, TagCorrection) == 1
    assert count(tg, Request, Request.kind == "revision") == 1
    await tg.service.forget_user(platform="telegram", user_id="11")
    assert count(tg, TagCorrection) == 0 and count(tg, Request) == 0


async def test_inline_mode_lists_songs_and_caches_per_query(tg: Bot) -> None:
    for n, who in enumerate((ALICE, user(12, "준호"))):
        query = {"id": f"iq{n}", "from": who, "query": "비 오는 날 카페", "offset": ""}
        await tg.app.process_update(
            Update.de_json({"update_id": 900 + n, "inline_query": query}, tg.app.bot)
        )
        call = await tg.api.wait_for(
            lambda c, n=n: (
                c.method == "answerInlineQuery" and c.params["inline_query_id"] == f"iq{n}"
            )
        )
        results = call.params["results"]
        assert len(results) == 10
        assert all("melon.com" in r["url"] for r in results)
        assert all("melon.com" in r["input_message_content"]["message_text"] for r in results)
        assert int(call.params["cache_time"]) == 300
    assert count(tg, Request, Request.kind == "inline") == 1  # the second came from the cache
    # answered where it was asked: nothing is delivered to the private chat later
    assert await tg.service.undelivered("telegram") == []
    empty = {"id": "iq9", "from": ALICE, "query": "  ", "offset": ""}
    await tg.app.process_update(
        Update.de_json({"update_id": 999, "inline_query": empty}, tg.app.bot)
    )
    call = await tg.api.wait_for(
        lambda c: c.method == "answerInlineQuery" and c.params["inline_query_id"] == "iq9"
    )
    assert call.params["results"] == [] and "분위기" in call.params["button"]["text"]
