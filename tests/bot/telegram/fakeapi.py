"""A fake Telegram Bot API server on 127.0.0.1 for python-telegram-bot's real HTTP client.

Serves {root}/bot{token}/{method} and {root}/file/bot{token}/{path}; records every call;
answers with JSON shaped like Telegram's (messages get ids, files get paths); getUpdates
hands out queued updates, long-polling like the real server.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
BOT_USER = {"id": 999, "is_bot": True, "first_name": "MRI", "username": "mri_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when the server received it
    result: Any = None  # what the server answered (e.g. the sent message, with its id)


@dataclass
class FakeBotApi:
    token: str
    calls: list[Call] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    # (chat id, message id) -> the bot's message as it stands now (text and buttons)
    shown: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    quotes: dict[tuple[int, int], int] = field(default_factory=dict)  # message -> quoted one
    # called with each call before it takes effect ("before": returning False drops it, as if
    # it never reached Telegram) and after ("after"); the fault tests kill the bot from here
    on_call: Any = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5000))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _transports: set[asyncio.BaseTransport] = field(default_factory=set)
    root: str = ""

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        track_connections(self._runner, self._transports)
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.root = f"http://127.0.0.1:{port}"
        return self.root

    async def stop(self) -> None:
        if self._runner is not None:
            await close_runner(self._runner, self._transports)

    # -- what tests use -----------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (an update_id is added)."""
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._new_update.set()
        return update

    def sent(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    async def wait_for(self, predicate: Any, timeout: float = 60.0) -> Call:
        """The first recorded call satisfying `predicate`, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for call in self.calls:
                if predicate(call):
                    return call
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"no such call within {timeout}s; calls: {[c.method for c in self.calls]}"
        )

    # -- the server ---------------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        params = {k: _decode(v) for k, v in (await request.post()).items() if isinstance(v, str)}
        method = request.match_info["method"]
        call = Call(method, params)
        if self.on_call is not None and self.on_call(call, "before") is False:
            return web.Response(status=502)  # dropped before it took effect; nobody reads this
        self.calls.append(call)
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        if method == "editMessageText" and self._unchanged(params):
            call.result = False
            return web.json_response(
                {"ok": False, "error_code": 400, "description": NOT_MODIFIED}, status=400
            )
        if not _buttons_fit(params.get("reply_markup")):  # Telegram's 64-byte limit
            call.result = False
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: BUTTON_DATA_INVALID"},
                status=400,
            )
        result = self._answer(method, params)
        call.result = result
        if self.on_call is not None:
            self.on_call(call, "after")
        if result is None:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": f"Bad Request: {method}"},
                status=400,
            )
        return web.json_response({"ok": True, "result": result})

    def _unchanged(self, params: dict[str, Any]) -> bool:
        """Telegram refuses an edit that changes nothing ("message is not modified")."""
        key = (int(params["chat_id"]), int(params["message_id"]))
        now = self.shown.get(key)
        return now is not None and now == {
            "text": params.get("text"),
            "reply_markup": params.get("reply_markup"),
        }

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_update.clear()
            try:
                await asyncio.wait_for(
                    self._new_update.wait(), timeout=float(params.get("timeout") or 0) or 0.05
                )
            except TimeoutError:
                return []
        return list(self.updates)

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat = self.chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "Someone"})
        message = {
            "message_id": int(params.get("message_id") or next(self._ids)),
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            **extra,
        }
        if "text" in params:
            message["text"] = params["text"]
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        if "text" in params:
            key = (chat_id, int(message["message_id"]))
            self.shown[key] = {"text": params["text"], "reply_markup": params.get("reply_markup")}
            quoted = params.get("reply_parameters")
            if isinstance(quoted, dict) and "message_id" not in params:  # a new message
                self.quotes[key] = int(quoted["message_id"])
        return message

    def answers_to(self, chat_id: int, message_id: int, needle: str = "melon.com") -> int:
        """How many of the bot's messages quoting `message_id` show `needle` now: what the
        person sees, however many calls it took."""
        return sum(
            1
            for key, now in self.shown.items()
            if key[0] == chat_id
            and self.quotes.get(key) == message_id
            and needle in str(now["text"])
        )

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            return self._message(params)
        if method in (
            "answerCallbackQuery", "sendChatAction", "setMyCommands", "deleteWebhook", "setWebhook",
            "answerInlineQuery",
        ):  # fmt: skip
            return True
        if method == "getFile":
            file_id = params["file_id"]
            if file_id not in self.files:
                return None
            size = len(self.files[file_id])
            return {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": size,
                "file_path": f"photos/{file_id}",
            }
        return None


def _buttons_fit(markup: Any) -> bool:
    """Every button's callback data is at most 64 bytes, as Telegram requires."""
    if not isinstance(markup, dict):
        return True
    rows = markup.get("inline_keyboard") or []
    return all(len(str(b.get("callback_data", "")).encode()) <= 64 for row in rows for b in row)


def track_connections(runner: web.AppRunner, transports: set[asyncio.BaseTransport]) -> None:
    """Remember every connection the server accepts (see close_runner)."""
    server = runner.server
    assert server is not None
    accepted = server.connection_made

    def made(handler: Any, transport: asyncio.Transport) -> None:
        transports.add(transport)
        accepted(handler, transport)

    server.connection_made = made  # type: ignore[method-assign]


async def close_runner(runner: web.AppRunner, transports: set[asyncio.BaseTransport]) -> None:
    """Stop the server and close every connection it accepted, also those of a client that
    was killed (aiohttp can leave such a transport open, and its socket then leaks)."""
    await runner.cleanup()
    for transport in transports:
        if not transport.is_closing():
            transport.close()
    transports.clear()


def _decode(value: str) -> Any:
    """PTB sends JSON-encoded values for non-strings (reply_markup, booleans, numbers)."""
    if value in ("true", "false"):
        return value == "true"
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
