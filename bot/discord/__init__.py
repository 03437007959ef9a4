"""The Discord adapter: photos, slash commands, vote buttons and reactions (issue 6).

`bot.discord.app.run(settings)` is what `mri bot discord` starts; `client.MriBot` is the
client, with its features in `cogs/`. Everything MRI-specific goes through
`core.service.RecommendService`.
"""

PLATFORM = "discord"  # the platform name stored with users, chats and votes
