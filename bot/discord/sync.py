"""Sync slash commands only when they changed: Discord rate-limits syncing, and a restart
should not touch commands that are already right.

The hash covers the exact payload `tree.sync()` would send (translations included) and the
application id; it is kept in the data dir next to the database.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

log = logging.getLogger(__name__)

HASH_FILE = "discord-commands.sha256"


async def commands_hash(tree: app_commands.CommandTree[Any], application_id: int | None) -> str:
    translator = tree.translator
    payload = [
        await command.get_translated_payload(tree, translator)
        if translator is not None
        else command.to_dict(tree)
        for command in tree.get_commands()
    ]
    blob = json.dumps(
        {"application": application_id, "commands": payload}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(blob.encode()).hexdigest()


async def sync_if_changed(
    tree: app_commands.CommandTree[Any], application_id: int | None, data_dir: Path
) -> bool:
    """True when the commands were sent to Discord (they had changed or were never synced)."""
    path = data_dir / HASH_FILE
    digest = await commands_hash(tree, application_id)
    try:
        if path.read_text(encoding="utf-8").strip() == digest:
            log.info("slash commands unchanged; not syncing")
            return False
    except FileNotFoundError:
        pass
    try:
        synced = await tree.sync()
    except discord.HTTPException as exc:  # keep running with the commands Discord has
        log.warning("could not sync slash commands (%s); will retry at the next start", exc)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(digest + "\n", encoding="utf-8")
    log.info("synced %s slash commands", len(synced))
    return True
