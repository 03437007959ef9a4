"""The Telegram adapter: python-telegram-bot updates -> the conversation flow (bot/flow).

`bot.telegram.app.run(settings)` is what `mri bot telegram` starts."""

PLATFORM = "telegram"  # the platform name stored with users, chats and votes
