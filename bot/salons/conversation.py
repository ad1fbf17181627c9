"""What an organizer has open between two messages, as the database carries it.

PTB keeps each dialogue's step in the process's memory (`ConversationHandler`) and the answers
and drafts in `user_data`; with several processes the next answer may reach one that never
saw them. bot/salons/dialogues.py reads the step and the `KEYS` of `user_data` from the
database before the features run, and writes them back after.
"""

from __future__ import annotations

from bot.common.context import BotData

# The user_data keys of what an organizer has open: the dialogue's answers (bot/salons/
# create.py, edit.py), a "Message attendees" or co-organizer draft (broadcast.py,
# co_organizers.py) and the plans /plan compared (bot/plans/handlers.py).
KEYS = ("newsalon", "edit_salon", "broadcast", "co_organizer", "plans")


def open_state(bot_data: BotData, chat_id: int, user_id: int) -> int | None:
    """The step of the person's /newsalon or Edit dialogue in this process, if any."""
    handler = bot_data.dialogue
    state = None if handler is None else handler._conversations.get((chat_id, user_id))  # noqa: SLF001
    return state if isinstance(state, int) else None
