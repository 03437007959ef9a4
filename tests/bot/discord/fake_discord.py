"""Discord's HTTP API, its CDN and an interaction webhook, served on 127.0.0.1 for the tests.

discord.py talks to it unchanged (the tests point `discord.http.Route.BASE` here). It answers
like Discord does for the calls MRI makes, keeps the messages it created (so edits, fetches
and button presses see them) and records every call for the assertions.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote

from aiohttp import web

from tests.bot.discord.fake_gateway import FakeGateway

T = TypeVar("T")
JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000
BOT_ID = 900_000_000_000_000_001
APP_ID = 900_000_000_000_000_002
TOKEN = "test-token.not-a-real-one"
EPHEMERAL = 64
LOADING = 128


def snowflakes() -> Callable[[], int]:
    """Increasing ids shaped like Discord's (timestamp << 22 | counter)."""
    counter = itertools.count(1)
    return lambda: ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(counter) & 0xFFF)


def user(uid: int, name: str, *, bot: bool = False) -> JSON:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user(BOT_ID, "mri", bot=True)


def answer(data: Any, status: int = 200) -> web.Response:
    """JSON exactly as Discord labels it (discord.py checks the content type verbatim)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


@dataclass
class Call:
    method: str
    path: str
    body: Any
    query: dict[str, str]
    authorized: bool


@dataclass
class FakeDiscord:
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, JSON] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    commands: list[JSON] = field(default_factory=list)
    reject_token: bool = False
    # interaction token -> (channel id, id of the message its @original refers to)
    interactions: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    url: str = ""
    gateway: FakeGateway = field(default_factory=FakeGateway)
    # called with each REST call before it takes effect ("before": returning False drops it, as
    # if it never reached Discord) and after ("after"); the fault tests kill the bot from here
    on_call: Callable[[Call, str], object] | None = None
    new_id: Callable[[], int] = field(default_factory=snowflakes)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._api)
        app.router.add_get("/attachments/{name}", self._file)
        app.router.add_get("/gateway", self.gateway.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self.gateway.url = f"ws://127.0.0.1:{port}/gateway"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what the tests look at -------------------------------------------------------------

    def requests(self, method: str, prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    def in_channel(self, channel_id: int) -> list[JSON]:
        return [m for m in self.messages.values() if m["channel_id"] == str(channel_id)]

    def saying(self, channel_id: int, needle: str) -> JSON | None:
        """The first message in the channel whose text contains `needle`."""
        return next((m for m in self.in_channel(channel_id) if needle in m["content"]), None)

    def with_embed(self, channel_id: int, title: str | None = None) -> JSON | None:
        """The first message in the channel with an embed (titled `title`, when given)."""
        return next(
            (
                m
                for m in self.in_channel(channel_id)
                if m["embeds"] and title in (None, m["embeds"][0].get("title"))
            ),
            None,
        )

    def answers_to(self, channel_id: int, message_id: str, needle: str = "melon.com") -> int:
        """How many of the bot's messages quoting `message_id` show `needle` in an embed now:
        what the person sees, however many calls it took."""
        return sum(
            1
            for m in self.in_channel(channel_id)
            if (m.get("message_reference") or {}).get("message_id") == message_id
            and needle in json.dumps(m["embeds"])
        )

    def downloads(self) -> int:
        return len(self.requests("GET", "/attachments/"))

    def reactions_on(self, message_id: int) -> list[str]:
        prefix = "/channels/"
        return [
            unquote(c.path.split("/reactions/")[1].split("/")[0])
            for c in self.requests("PUT", prefix)
            if f"/messages/{message_id}/reactions/" in c.path
        ]

    async def until(self, check: Callable[[], T | None], timeout: float = 30.0) -> T:
        """Poll `check` until it returns something truthy (the bot works in its own tasks)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = check()
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"timed out; calls: {[(c.method, c.path) for c in self.calls]}"
                )
            await asyncio.sleep(0.01)

    # -- CDN ----------------------------------------------------------------------------------

    def attachment(
        self, name: str, data: bytes, content_type: str | None, size: int | None = None
    ) -> JSON:
        """An attachment payload whose URL serves `data` from here."""
        att_id = self.new_id()
        key = f"{att_id}-{name}"
        self.files[key] = data
        payload = {
            "id": str(att_id),
            "filename": name,
            "size": len(data) if size is None else size,
            "url": f"{self.url}/attachments/{key}",
            "proxy_url": f"{self.url}/attachments/{key}",
        }
        if content_type is not None:
            payload["content_type"] = content_type
        return payload

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.calls.append(Call("GET", f"/attachments/{name}", None, dict(request.query), False))
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type="application/octet-stream")

    # -- REST API -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body = await request.json() if request.can_read_body else None
        auth = request.headers.get("Authorization", "")
        call = Call(request.method, path, body, dict(request.query), auth == f"Bot {TOKEN}")
        if self.on_call is not None and self.on_call(call, "before") is False:
            return web.Response(status=502)  # dropped before it took effect; nobody reads this
        self.calls.append(call)
        parts = path.strip("/").split("/")
        route = self._route(request.method, parts)
        if route is None:
            return answer(
                {"message": f"no fake for {request.method} {path}", "code": 0}, status=404
            )
        response = await route(parts, body or {}, auth)
        if self.on_call is not None:
            self.on_call(call, "after")
        return response

    def _route(self, method: str, parts: list[str]) -> Any:
        shape = (method, parts[0], len(parts))
        routes = {
            ("GET", "users", 2): self._me,
            ("GET", "gateway", 1): self._gateway,
            ("GET", "oauth2", 3): self._app,
            ("PUT", "applications", 3): self._sync,
            ("GET", "applications", 3): self._commands,
            ("POST", "channels", 3): self._create,
            ("GET", "channels", 4): self._get,
            ("PATCH", "channels", 4): self._edit,
            ("PUT", "channels", 7): self._no_content,
            ("DELETE", "channels", 7): self._no_content,
            ("POST", "interactions", 4): self._callback,
            ("GET", "webhooks", 5): self._original,
            ("PATCH", "webhooks", 5): self._edit_original,
            ("POST", "webhooks", 3): self._followup,
        }
        return routes.get(shape)

    async def _me(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        if self.reject_token or auth != f"Bot {TOKEN}":
            return answer({"message": "401: Unauthorized", "code": 0}, status=401)
        return answer({**BOT_USER, "verified": True, "mfa_enabled": False, "flags": 0})

    async def _gateway(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        return answer({"url": self.gateway.url})

    async def _app(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        return answer({
            "id": str(APP_ID), "name": "MRI", "icon": None, "description": "", "bot_public": True,
            "bot_require_code_grant": False, "owner": user(1, "owner"), "verify_key": "0" * 64,
            "flags": 1 << 19,  # GATEWAY_MESSAGE_CONTENT_LIMITED
        })  # fmt: skip

    async def _sync(self, parts: list[str], body: Any, auth: str) -> web.Response:
        self.commands = [
            {**c, "id": str(self.new_id()), "application_id": str(APP_ID), "version": "1"}
            for c in body
        ]
        return answer(self.commands)

    async def _commands(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        return answer(self.commands)

    def _new_message(self, channel_id: int, body: JSON, flags: int = 0) -> JSON:
        message: JSON = {
            "id": str(self.new_id()), "channel_id": str(channel_id), "author": BOT_USER,
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": copy.deepcopy(body.get("components") or []), "attachments": [],
            "mentions": [], "mention_roles": [], "mention_everyone": False, "pinned": False,
            "tts": False, "type": 0, "flags": body.get("flags", 0) | flags,
            "timestamp": "2026-11-25T00:00:00.000000+00:00", "edited_timestamp": None,
            "nonce": body.get("nonce"),
        }  # fmt: skip
        if "message_reference" in body:
            ref = body["message_reference"]  # Discord answers with string ids
            message["message_reference"] = {k: str(v) if "_id" in k else v for k, v in ref.items()}
            message["type"] = 19  # a reply
        self.messages[int(message["id"])] = message
        return message

    def _apply(self, message: JSON, body: JSON) -> JSON:
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = copy.deepcopy(body[key]) if body[key] is not None else None
        message["content"] = message.get("content") or ""
        message["embeds"] = message.get("embeds") or []
        message["components"] = message.get("components") or []
        message["flags"] = (message.get("flags") or 0) & ~LOADING
        message["edited_timestamp"] = "2026-11-25T00:00:01.000000+00:00"
        return message

    async def _create(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        if parts[2] != "messages":  # typing indicator
            return web.Response(status=204)
        nonce = body.get("nonce") if body.get("enforce_nonce") else None
        for earlier in self.in_channel(int(parts[1])) if nonce is not None else ():
            if earlier.get("nonce") == nonce:  # Discord: the message already made is returned
                return answer(earlier)
        return answer(self._new_message(int(parts[1]), body))

    async def _get(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        message = self.messages.get(int(parts[3]))
        if message is None or message["channel_id"] != parts[1]:
            return answer({"message": "Unknown Message", "code": 10008}, status=404)
        return answer(message)

    async def _edit(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        message = self.messages.get(int(parts[3]))
        if message is None:
            return answer({"message": "Unknown Message", "code": 10008}, status=404)
        return answer(self._apply(message, body))

    async def _no_content(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        return web.Response(status=204)

    # -- interactions --------------------------------------------------------------------------

    async def _callback(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        interaction_id, token = parts[1], parts[2]
        channel_id, message_id = self.interactions[token]
        kind, data = body["type"], body.get("data") or {}
        message = None
        if kind in (4, 5):  # a new message (5: "thinking…", filled in by the first edit)
            message = self._new_message(channel_id, data, LOADING if kind == 5 else 0)
            self.interactions[token] = (channel_id, int(message["id"]))
        elif kind == 7 and message_id is not None:  # update the message with the component
            message = self._apply(self.messages[message_id], data)
        out: JSON = {"interaction": {"id": interaction_id, "type": 2}}
        if message is not None:
            out["interaction"]["response_message_id"] = message["id"]
            out["interaction"]["response_message_loading"] = kind == 5
            out["interaction"]["response_message_ephemeral"] = bool(message["flags"] & EPHEMERAL)
            out["resource"] = {"type": kind, "message": message}
        return answer(out)

    async def _original(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        _, message_id = self.interactions[parts[2]]
        if message_id is None:
            return answer({"message": "Unknown Message", "code": 10008}, status=404)
        return answer(self.messages[message_id])

    async def _edit_original(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        token = parts[2]
        if token not in self.interactions:  # an expired interaction token
            return answer({"message": "Unknown Webhook", "code": 10015}, status=404)
        _, message_id = self.interactions[token]
        if message_id is None:
            return answer({"message": "Unknown Message", "code": 10008}, status=404)
        return answer(self._apply(self.messages[message_id], body))

    async def _followup(self, parts: list[str], body: JSON, auth: str) -> web.Response:
        channel_id, _ = self.interactions[parts[2]]
        return answer(self._new_message(channel_id, body))
