"""Discord's gateway, faked on the same loopback server as the REST API (fake_discord.py), for
bot processes that connect to it for real (MRI_DISCORD_GATEWAY_URL): HELLO, IDENTIFY → READY
and GUILD_CREATE, heartbeats and their ACKs, dispatches with sequence numbers, and RESUME after
`drop()` cut the connection (the events missed meanwhile are replayed, then RESUMED)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

JSON = dict[str, Any]
HELLO, HEARTBEAT, HEARTBEAT_ACK, IDENTIFY, RESUME, DISPATCH = 10, 1, 11, 2, 6, 0


@dataclass
class FakeGateway:
    url: str = ""  # ws://127.0.0.1:<port>/gateway, set when the server starts
    ready_data: JSON = field(default_factory=dict)  # READY's d, less session and resume url
    guilds: list[JSON] = field(default_factory=list)  # GUILD_CREATE payloads after READY
    identifies: list[JSON] = field(default_factory=list)
    resumes: list[JSON] = field(default_factory=list)
    connections: int = 0
    _events: list[tuple[int, str, JSON]] = field(default_factory=list)
    _socket: web.WebSocketResponse | None = None
    _session: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections += 1
        await ws.send_json({"op": HELLO, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(frame.data)
            if payload["op"] == HEARTBEAT:
                await ws.send_json({"op": HEARTBEAT_ACK, "d": None})
            elif payload["op"] == IDENTIFY:
                await self._identify(ws, payload["d"])
            elif payload["op"] == RESUME:
                await self._resume(ws, payload["d"])
        if self._socket is ws:
            self._socket = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: JSON) -> None:
        self.identifies.append(data)
        self._session += 1
        self._socket = ws
        ready = {**self.ready_data, "session_id": f"session-{self._session}",
                 "resume_gateway_url": self.url}  # fmt: skip
        await self._send(ws, "READY", ready)
        for guild in self.guilds:
            await self._send(ws, "GUILD_CREATE", guild)
        self._changed.set()

    async def _resume(self, ws: web.WebSocketResponse, data: JSON) -> None:
        self.resumes.append(data)
        self._socket = ws
        for seq, event, payload in self._events:
            if seq > int(data.get("seq") or 0):
                await ws.send_json({"op": DISPATCH, "t": event, "s": seq, "d": payload})
        await self._send(ws, "RESUMED", {})
        self._changed.set()

    async def _send(self, ws: web.WebSocketResponse, event: str, data: JSON) -> None:
        seq = len(self._events) + 1
        self._events.append((seq, event, data))
        await ws.send_json({"op": DISPATCH, "t": event, "s": seq, "d": data})

    # -- what tests use ---------------------------------------------------------------------

    async def connected(
        self, *, identifies: int = 0, resumes: int = 0, timeout: float = 120
    ) -> None:
        """Until the bot has identified (or resumed) that many times in all."""
        async with asyncio.timeout(timeout):
            while len(self.identifies) < identifies or len(self.resumes) < resumes:
                self._changed.clear()
                await self._changed.wait()

    async def dispatch(self, event: str, data: JSON) -> None:
        """An event for the bot; kept (with its sequence number) for a RESUME to replay."""
        seq = len(self._events) + 1
        self._events.append((seq, event, data))
        if self._socket is not None and not self._socket.closed:
            await self._socket.send_json({"op": DISPATCH, "t": event, "s": seq, "d": data})

    async def drop(self) -> None:
        """Cut the connection as Discord does now and then (close code 4000: reconnect and
        resume)."""
        if self._socket is not None:
            socket, self._socket = self._socket, None
            await socket.close(code=4000, message=b"unknown error")
