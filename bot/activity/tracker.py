"""The activity tracker (group -1): turns community-chat updates into plain events.

It must cost little more than PTB's own dispatch: no I/O, no awaits, just attribute reads and
an append to the `ActivityBuffer`. Bots, messages sent on behalf of chats and unconfigured
chats are skipped here; members who opted out are filtered when the batch is written.
"""

from __future__ import annotations

from telegram import (
    ChatMember,
    ChatMemberUpdated,
    Message,
    MessageReactionCountUpdated,
    MessageReactionUpdated,
    ReactionType,
    Update,
)

from bot.activity.buffer import ActivityBuffer
from bot.common.context import Context
from bot.common.users import user_info
from storage.events import MemberEvent, MessageEvent, ReactionCountEvent, ReactionEvent
from storage.models.activity import JOIN, LEAVE

# Message content attributes, most common first; the first one set names the message's kind
# (`animation` before `document` and `venue` before `location`: those messages carry both).
KINDS = ("text", "photo", "sticker", "voice", "video_note", "video", "animation", "audio",
         "document", "poll", "venue", "location", "contact", "dice", "game", "story",
         "paid_media", "invoice")  # fmt: skip
MEMBER_STATUSES = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER}


def message_kind(message: Message) -> str | None:
    """text, photo, voice, sticker, poll, ... or command; None for service messages."""
    for kind in KINDS:
        if getattr(message, kind):
            if kind == "text" and message.text.startswith("/") and message.entities:
                first = message.entities[0]
                if first.offset == 0 and first.type == "bot_command":
                    return "command"
            return kind
    return None


async def track_activity(update: Update, context: Context) -> None:
    """Buffer what members do in community chats (written in batches, never here)."""
    buffer: ActivityBuffer | None = context.bot_data.activity
    if buffer is None:
        return
    if update.message is not None:
        _message(update.message, buffer, edit=False)
    elif update.edited_message is not None:
        _message(update.edited_message, buffer, edit=True)
    elif update.message_reaction is not None:
        _reaction(update.message_reaction, buffer)
    elif update.message_reaction_count is not None:
        _reaction_count(update.message_reaction_count, buffer)
    elif update.chat_member is not None:
        _chat_member(update.chat_member, buffer)


def _message(message: Message, buffer: ActivityBuffer, *, edit: bool) -> None:
    chat_id = message.chat.id
    if chat_id not in buffer.communities:
        return
    if message.new_chat_members:
        for member in message.new_chat_members:
            if not member.is_bot:
                buffer.add(MemberEvent(chat_id, member.id, message.date, JOIN, user_info(member)))
        return
    if message.left_chat_member is not None:
        member = message.left_chat_member
        if not member.is_bot:
            buffer.add(MemberEvent(chat_id, member.id, message.date, LEAVE, user_info(member)))
        return
    user = message.from_user
    # Bots (the bot itself included) and messages sent as a chat or channel are no members.
    if user is None or user.is_bot or message.sender_chat is not None:
        return
    kind = message_kind(message)
    if kind is None:
        return
    text = message.text or message.caption
    event = MessageEvent(
        chat_id, user.id, message.date, kind, len(text) if text else 0, message.message_id,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        forwarded=message.forward_origin is not None, text=text,
        edited_at=message.edit_date if edit else None, edit=edit, user=user_info(user),
    )  # fmt: skip
    replied = message.reply_to_message
    # In a forum topic every message "replies" to the topic's first message: not a reply.
    if replied is not None and replied.message_id != event.thread_id:
        author = replied.from_user
        if author is not None and not author.is_bot and replied.sender_chat is None:
            event.reply_to_user_id = author.id
            event.reply_to = user_info(author)
            event.reply_to_sent_at = replied.date
    buffer.add(event)


def _emoji(reaction: ReactionType) -> str:
    if reaction.type == ReactionType.EMOJI:
        return reaction.emoji
    if reaction.type == ReactionType.CUSTOM_EMOJI:
        return f"custom:{reaction.custom_emoji_id}"
    return str(reaction.type)  # "paid"


def _reaction(change: MessageReactionUpdated, buffer: ActivityBuffer) -> None:
    chat_id = change.chat.id
    user = change.user
    if chat_id not in buffer.communities or user is None or user.is_bot:
        return  # anonymous reactions (actor_chat) arrive as totals instead
    old = {_emoji(r) for r in change.old_reaction}
    new = {_emoji(r) for r in change.new_reaction}
    info = user_info(user)
    for emoji, added in [(e, True) for e in new - old] + [(e, False) for e in old - new]:
        buffer.add(ReactionEvent(chat_id, user.id, change.date, emoji, added,
                                 change.message_id, user=info))  # fmt: skip


def _reaction_count(totals: MessageReactionCountUpdated, buffer: ActivityBuffer) -> None:
    if totals.chat.id in buffer.communities:
        counts = {_emoji(r.type): r.total_count for r in totals.reactions}
        buffer.add(ReactionCountEvent(totals.chat.id, totals.message_id, counts, totals.date))


def _is_member(member: ChatMember) -> bool:
    if member.status == ChatMember.RESTRICTED:
        return bool(member.is_member)
    return member.status in MEMBER_STATUSES


def _chat_member(change: ChatMemberUpdated, buffer: ActivityBuffer) -> None:
    user = change.new_chat_member.user
    if change.chat.id not in buffer.communities or user.is_bot:
        return
    was, now = _is_member(change.old_chat_member), _is_member(change.new_chat_member)
    if was != now:
        kind = JOIN if now else LEAVE
        buffer.add(MemberEvent(change.chat.id, user.id, change.date, kind, user_info(user)))
