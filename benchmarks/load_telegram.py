"""Load test (on demand, not in the suite): 200 photos from 20 users arrive within seconds
through the real Telegram adapter (python-telegram-bot polling a fake Bot API on 127.0.0.1)
and are answered by 1 and then 2 real `mri worker` processes (SQLite queue and database).

Reports latency (photo update pushed → reply with songs received by the API) p50/p95/p99,
replies sent, duplicates (must be 0), drops (must be 0), and the outgoing message rates the
bot kept: at most 30 messages/s overall and 20/min per group (PTB's AIORateLimiter).

Run: `.venv/bin/python -m benchmarks.load_telegram [--photos 200] [--users 20]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks.common import percentiles, table, write_result
from bot.telegram.app import build_application
from core.config import Settings
from core.db.database import Database
from core.db.models import Request
from core.service import RecommendService
from tests.bot.telegram.fakeapi import FakeBotApi
from tests.integration.test_worker_process import MRI, photos, worker_env

TOKEN = "424242:LOAD-test-token"
GROUP = {"id": -100555, "type": "group", "title": "load group"}
OUTGOING = ("sendMessage", "editMessageText", "sendChatAction", "editMessageReplyMarkup")


def first_answers(api: FakeBotApi) -> dict[int, float]:
    """Photo message id -> when its answer (a message with songs quoting it, or the edit that
    turned a placeholder quoting it into the songs) first reached the API."""
    quoted: dict[tuple[int, int], int] = {}  # (chat, bot message) -> the photo it quotes
    first: dict[int, float] = {}
    for c in api.calls:
        text = str(c.params.get("text"))
        if c.method == "sendMessage" and c.result:
            ref = c.params.get("reply_parameters") or {}
            photo = int(ref.get("message_id", 0)) if isinstance(ref, dict) else 0
            quoted[(int(c.params["chat_id"]), int(c.result["message_id"]))] = photo
        else:
            photo = quoted.get(
                (int(c.params.get("chat_id", 0)), int(c.params.get("message_id", 0))), 0
            )
        if c.method in ("sendMessage", "editMessageText") and "melon.com" in text and photo:
            first.setdefault(photo, c.at)
    return first


def finished_at(settings: Settings, clock: float) -> dict[int, float]:
    """Photo message id -> when its worker stored the answer, on the monotonic clock."""
    db = Database(settings.resolved_database_url)
    try:
        with db.reader() as s:
            rows = s.execute(select(Request.message_ref, Request.finished_at)).all()
    finally:
        db.dispose()
    return {int(ref): at.timestamp() - clock for ref, at in rows if ref and at is not None}


def max_rate(times: list[float], window: float) -> int:
    """The most events in any `window`-second span."""
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def one_run(n_photos: int, n_users: int, workers: int, group_photos: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        api = FakeBotApi(TOKEN)
        root = await api.start()
        settings = Settings(
            data_dir=Path(tmp), telegram_token=TOKEN, telegram_api_url=root,
            user_requests_per_minute=600, job_wait_seconds=30.0,
        )  # fmt: skip
        service = RecommendService.from_settings(settings)
        worker = _start_n(settings, Path(tmp), workers)
        app = build_application(settings, service)
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        pushed: dict[int, float] = {}  # message id -> push time
        clock = time.time() - time.monotonic()  # wall clock (the database's) -> monotonic
        chat_of: dict[int, int] = {}
        data = photos(n_photos)
        try:
            while (await service.stats()).stats.workers_alive < workers:  # models loading
                await asyncio.sleep(0.5)
            await asyncio.sleep(2.0)
            started = time.monotonic()
            for i, photo in enumerate(data):
                uid = 1000 + i % n_users
                in_group = i < group_photos
                chat = GROUP if in_group else {"id": uid, "type": "private", "first_name": "u"}
                api.chats[chat["id"]] = chat
                file_id = f"f{i}"
                api.files[file_id] = photo
                msg_id = 10_000 + i
                message = {
                    "message_id": msg_id, "date": int(time.time()), "chat": chat,
                    "from": {"id": uid, "is_bot": False, "first_name": f"u{uid}"},
                    "photo": [{"file_id": file_id, "file_unique_id": file_id, "width": 640,
                               "height": 480, "file_size": len(photo)}],
                    **({"caption": "/mri"} if in_group else {}),
                }  # fmt: skip
                pushed[msg_id] = time.monotonic()
                chat_of[msg_id] = chat["id"]
                api.push({"message": message})
                await asyncio.sleep(2.0 / n_photos)  # all within ~2 seconds
            # an answer is a message quoting the photo, or an edit of a placeholder that did
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                if all(api.answers_to(chat_of[p], p) for p in pushed):
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(3.0)  # anything sent twice would show up now
            first = first_answers(api)
            latency = [1000 * (first[p] - pushed[p]) for p in pushed if p in first]
            ready = finished_at(settings, clock)  # photo message id -> answer stored (monotonic)
            waited = [1000 * (first[p] - ready[p]) for p in pushed if p in first and p in ready]
            shown = {p: api.answers_to(chat_of[p], p) for p in pushed}  # what people see
            out_times = [c.at for c in api.calls if c.method in OUTGOING]
            group_times = [c.at for c in api.calls if c.method in OUTGOING
                           and int(c.params.get("chat_id", 0)) == GROUP["id"]]  # fmt: skip
            return {
                "workers": workers,
                "photos": n_photos,
                "answered": sum(1 for n in shown.values() if n >= 1),
                "duplicates": sum(n - 1 for n in shown.values() if n > 1),
                "drops": sum(1 for n in shown.values() if n == 0),
                "placeholders": sum(
                    1 for c in api.sent("sendMessage") if "melon.com" not in str(c.params["text"])
                ),
                "chat_actions": len(api.sent("sendChatAction")),
                "latency": percentiles(latency) if latency else {},
                "ready_to_sent": percentiles(waited) if waited else {},
                "wall_s": time.monotonic() - started,
                "max_per_s": max_rate(out_times, 1.0),
                "group_max_per_min": max_rate(group_times, 60.0),
            }
        finally:
            await app.updater.stop()
            await app.bot_data["handlers"].close()
            await app.stop()
            await app.shutdown()
            worker.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(60)
            await api.stop()


def _start_n(settings: Settings, folder: Path, n: int) -> subprocess.Popen[bytes]:
    with open(folder / "worker.log", "ab") as out:
        return subprocess.Popen(
            [MRI, "worker", "--workers", str(n)], env=worker_env(settings),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--group-photos", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    rows, load = [], os.getloadavg()[0]
    for workers in args.workers:
        r = asyncio.run(one_run(args.photos, args.users, workers, args.group_photos))
        lat, sent = r["latency"], r["ready_to_sent"]
        rows.append([
            r["workers"], r["photos"], r["answered"], r["duplicates"], r["drops"],
            *(lat.get(k, float("nan")) for k in ("p50", "p95", "p99")),
            *(sent.get(k, float("nan")) for k in ("p50", "p95")),
            r["wall_s"], r["max_per_s"], r["group_max_per_min"], r["placeholders"],
            r["chat_actions"],
        ])  # fmt: skip
        print(rows[-1])
    body = table(
        ["workers", "photos", "answered", "duplicates", "drops", "p50 ms", "p95 ms", "p99 ms",
         "ready→sent p50 ms", "ready→sent p95 ms",
         "wall s", "max msgs/s (≤30)", "max group msgs/min (≤20)", "placeholders",
         "chat actions"],
        rows,
    )  # fmt: skip
    body += (
        f"\n\n{args.photos} photos from {args.users} users pushed within ~2 s through getUpdates "
        f"({args.group_photos} of them in one group, captioned /mri); latency = push → the reply "
        "with songs reaching the API (a message quoting the photo, or the edit of the placeholder "
        "that quoted it); ready→sent = from the worker storing the answer to it reaching the API "
        "(what the message budget and the bot add); answered / duplicates / drops count what "
        "each chat shows at the end. "
        "Group replies wait for the 20/min group limit, which is what the p99 shows.\n\n"
        f"Load average (1 min) when the run started: {load:.1f} on {os.cpu_count()} cores "
        "(other work on the machine competes with the workers)."
    )
    write_result("load_telegram", "Load: Telegram adapter + real workers", body)


if __name__ == "__main__":
    main()
