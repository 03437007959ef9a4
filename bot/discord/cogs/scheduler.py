"""The flow's periodic work on discord.py's scheduler (`discord.ext.tasks`): replies still owed
(after a restart, a failed send, an adapter that died holding one) and group playlists whose
time is up. Every adapter process runs both; the database makes each happen once."""

from __future__ import annotations

from discord.ext import commands, tasks

from bot.flow import Flow


class SchedulerCog(commands.Cog):
    def __init__(self, flow: Flow, *, every: float) -> None:
        self.flow = flow
        self.every = every

    async def cog_load(self) -> None:
        for loop in (self.late_deliveries, self.playlist_deadlines):
            loop.change_interval(seconds=self.every)
            loop.start()

    async def cog_unload(self) -> None:
        self.late_deliveries.cancel()
        self.playlist_deadlines.cancel()

    @tasks.loop(seconds=5.0)
    async def late_deliveries(self) -> None:
        await self.flow.sweep()

    @tasks.loop(seconds=5.0)
    async def playlist_deadlines(self) -> None:
        await self.flow.close_due_playlists()
