"""Who may do what: a vote is always the tapper's own, /forget takes every row of the asker
and nothing of anyone else: others' votes on the asker's replies stay, on an anonymised reply.
(Votes from another chat and someone else confirming your /forget are in test_telegram.py.)"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db import feedback
from core.db.database import Database
from core.db.models import Chat, RecommendedItem, Request, User, Vote
from tests.bot.telegram.conftest import GROUP, Bot, jpeg, private, user
from training.vote_replay import export_log

pytestmark = pytest.mark.slow
ALICE, BOB, CAROL = user(11, "민지"), user(12, "준호"), user(13, "서연")


def votes_on(db: Database, item: int) -> dict[str, int]:
    """Telegram user id -> vote, for every stored vote on `item`."""
    with db.reader() as s:
        rows = s.execute(
            select(User.external_id, Vote.value)
            .join(User, User.id == Vote.user_id)
            .where(Vote.item_id == item)
        ).all()
    return {uid: value for uid, value in rows}


def buttons(reply: dict[str, Any]) -> list[str]:
    """The callback data of the 👍 buttons of a reply, songs then the whole list."""
    rows = reply["reply_markup"]["inline_keyboard"]
    return [row[0]["callback_data"] for row in rows if row[0]["callback_data"].startswith("v:")]


async def test_forged_vote_data_only_ever_records_the_tappers_own_vote(tg: Bot) -> None:
    await tg.send(tg.photo(GROUP, ALICE, jpeg(), caption="/mri"))
    reply = await tg.reply_with("melon.com")
    message = tg.bot_message(reply)
    item = int(buttons(reply)[0].split(":")[1])
    await tg.tap(ALICE, message, f"v:{item}:+")
    # Bob writes his own callback data for Alice's song: it can carry no one else's identity,
    # so the only vote it can make is Bob's (he is in the chat where it was recommended).
    for forged in (f"v:{item}:-", f"v:{item}:-:11", f"v:11:{item}:-", f"v:{item}:+11"):
        await tg.tap(BOB, message, forged)
    assert votes_on(tg.service.db, item) == {"11": 1, "12": -1}
    notices = [c.params.get("text") for c in tg.api.sent("answerCallbackQuery")]
    assert notices.count("이 추천은 더 이상 투표할 수 없어요.") == 3  # the malformed three
    with tg.service.db.reader() as s:  # no user row was made up from the forged data
        assert set(s.scalars(select(User.external_id))) == {"11", "12"}


async def test_forged_forget_data_can_only_forget_the_tapper(tg: Bot) -> None:
    await tg.send(tg.photo(private(11), ALICE, jpeg()))
    await tg.reply_with("melon.com")
    await tg.send(tg.photo(private(12), BOB, jpeg("beach.jpg")))
    await tg.api.wait_for(
        lambda c: c.params.get("chat_id") in (12, "12") and "melon.com" in str(c.params.get("text"))
    )
    await tg.send(tg.command(private(11), ALICE, "/forget"))
    ask = await tg.reply_with("정말 지울까요")
    # Bob taps Alice's question with data naming himself: he can delete himself only.
    await tg.tap(BOB, tg.bot_message(ask), "forget:yes:12")
    await tg.reply_with("모두 지웠어요")
    with tg.service.db.reader() as s:
        assert set(s.scalars(select(User.external_id))) == {"11"}
        assert s.scalar(select(func.count(Request.id))) == 1  # Alice's photo is still there


def per_user(db: Database) -> dict[str, dict[str, int]]:
    """Rows per Telegram user id in every table that holds something of a person."""
    out: dict[str, dict[str, int]] = {}
    with db.reader() as s:
        for uid, pk in s.execute(select(User.external_id, User.id)).all():
            mine = select(Request.id).where(Request.user_id == pk)
            count = select(func.count())
            out[uid] = {
                "users": 1,
                "requests": s.scalar(count.where(Request.user_id == pk)) or 0,
                "items": s.scalar(count.where(RecommendedItem.request_id.in_(mine))) or 0,
                "votes": s.scalar(count.where(Vote.user_id == pk)) or 0,
            }
    return out


def table_sizes(db: Database) -> dict[str, int]:
    with db.reader() as s:
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (User, Chat, Request, RecommendedItem, Vote)
        }


async def answered(db: Database, n: int) -> None:
    """Until `n` jobs are done and their replies claimed."""
    deadline = time.monotonic() + 120
    while True:
        with db.reader() as s:
            done = s.scalar(
                select(func.count()).where(
                    Request.status == "done", Request.delivered_at.is_not(None)
                )
            )
        if done == n:
            return
        assert time.monotonic() < deadline, f"{done} of {n} jobs answered"
        await asyncio.sleep(0.05)


def first_song(db: Database, uid: int, chat: dict[str, Any]) -> int:
    """The item id of the first song in the reply to `uid`'s request in `chat`."""
    with db.reader() as s:
        item = s.scalar(
            select(RecommendedItem.id)
            .join(Request, Request.id == RecommendedItem.request_id)
            .join(User, User.id == Request.user_id)
            .join(Chat, Chat.id == Request.chat_id)
            .where(
                User.external_id == str(uid),
                Chat.external_id == str(chat["id"]),
                RecommendedItem.rank == 1,
            )
        )
    assert item is not None
    return item


async def test_forget_removes_every_row_of_the_user_and_nothing_of_others(tg: Bot) -> None:
    await tg.send(tg.command(private(11), ALICE, "/lang en"))
    for who, source in ((ALICE, "coffee.png"), (BOB, "beach.jpg")):  # privately and in a group
        await tg.send(tg.photo(private(who["id"]), who, jpeg(source)))
        await tg.send(tg.photo(GROUP, who, jpeg(source), caption="/mri"))
    await tg.send(tg.command(private(13), CAROL, "/mood 비 오는 날"))
    db = tg.service.db
    await answered(db, 5)
    alice_song, bob_song = first_song(db, 11, GROUP), first_song(db, 12, GROUP)
    bob_private = first_song(db, 12, private(12))
    for voter, chat, item in (
        (ALICE, GROUP, alice_song),  # Alice on her own song
        (ALICE, GROUP, bob_song),  # Alice on Bob's
        (BOB, GROUP, alice_song),  # Bob on Alice's
        (BOB, private(12), bob_private),  # Bob on his own, privately
        (CAROL, private(13), first_song(db, 13, private(13))),
    ):
        message = tg.bot_message({"chat_id": chat["id"], "message_id": 1, "text": "…"})
        await tg.tap(voter, message, f"v:{item}:+")

    before, sizes = per_user(db), table_sizes(db)
    assert before["11"] == {"users": 1, "requests": 2, "items": 22, "votes": 2}
    assert before["12"]["votes"] == 2 and before["13"]["votes"] == 1
    with db.reader() as s:
        votes_before = feedback.stats(s).votes_up
    await tg.send(tg.command(private(11), ALICE, "/forget"))
    ask = await tg.reply_with("Delete everything")
    yes = ask["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await tg.tap(ALICE, tg.bot_message(ask), yes)
    await tg.reply_with("Done — deleted")

    after = per_user(db)
    assert "11" not in after  # the user row, and with it the language
    assert after["13"] == before["13"]  # Carol is untouched
    assert after["12"] == before["12"]  # and so is Bob: his vote on Alice's song included
    assert votes_on(db, alice_song) == {"12": 1}  # it stays, on Alice's reply, anonymised
    assert votes_on(db, bob_song) == {} and votes_on(db, bob_private) == {"12": 1}
    with db.reader() as s:
        kept = s.execute(
            select(Request.user_id, Request.photo_sha256, Request.session_id)
            .join(RecommendedItem, RecommendedItem.request_id == Request.id)
            .where(RecommendedItem.id == alice_song)
        ).one()
        assert tuple(kept) == (None, None, None)  # no owner, no photo hash, no membership
        assert feedback.stats(s).votes_up == votes_before - 2  # only Alice's own two went
        assert s.scalar(select(Chat.id).where(Chat.external_id == "11")) is None
    replayable = export_log(db)  # reports still count Bob's vote on the anonymised reply
    assert sum(len(r.votes) for r in replayable) == votes_before - 2
    assert table_sizes(db) == {
        "users": sizes["users"] - 1,
        "chats": sizes["chats"] - 1,  # Alice's private chat (its id is hers); the group stays
        "requests": sizes["requests"] - 1,  # her private one; the group one stays anonymised
        "recommended_items": sizes["recommended_items"] - 11,
        "votes": sizes["votes"] - 2,  # Alice's two
    }
    # Forgotten is not banned: Alice can start again (in Korean, the default, again).
    await tg.send(tg.photo(private(11), ALICE, jpeg("beach.jpg")))
    await answered(db, 5)  # Bob's two, Carol's, Alice's anonymised one, and this one
    assert per_user(db)["11"] == {"users": 1, "requests": 1, "items": 11, "votes": 0}
