"""The Discord adapter: discord.py events -> the conversation flow (bot/flow).

`bot.discord.app.run(settings)` is what `mri bot discord` starts; `client.MriBot` builds the
flow and the cogs (`cogs/`: photos, playlist, account, votes, scheduler) with their
collaborators; `target.py` implements the flow's port.
"""

PLATFORM = "discord"  # the platform name stored with users, chats and votes
