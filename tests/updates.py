"""Realistic Telegram updates, built from Bot API JSON with `Update.de_json`."""

from __future__ import annotations

import itertools
import time

from telegram import Bot, Update

_ids = itertools.count(1)
_message_ids = itertools.count(1)

COMMUNITY_ID = -1001234567890
ORGANIZER = {"id": 42, "is_bot": False, "first_name": "Olga", "language_code": "en"}
ZH_USER = {"id": 1001, "is_bot": False, "first_name": "小明", "language_code": "zh-hans"}
EN_USER = {"id": 1002, "is_bot": False, "first_name": "Alice", "language_code": "en"}
GROUP = {"id": COMMUNITY_ID, "type": "supergroup", "title": "读书会 Reading Club"}


def private_chat(user: dict) -> dict:
    """The private chat between the bot and `user`."""
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def message_json(text: str, user: dict, chat: dict | None = None, **extra) -> dict:
    """A message object; a leading /command gets its bot_command entity."""
    message = {
        "message_id": next(_message_ids),
        "date": int(extra.pop("date", time.time())),
        "chat": chat or private_chat(user),
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    message.update(extra)
    return message


def message(text: str, user: dict, chat: dict | None = None, bot: Bot | None = None, **extra):
    """An Update carrying a message."""
    data = {"update_id": next(_ids), "message": message_json(text, user, chat, **extra)}
    return Update.de_json(data, bot)


def my_chat_member(chat: dict, new_status: str, by: dict, bot_user: dict, bot: Bot | None = None):
    """The bot's own membership in `chat` changed (e.g. someone added it to a group)."""
    data = {
        "update_id": next(_ids),
        "my_chat_member": {
            "chat": chat,
            "from": by,
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": bot_user},
            "new_chat_member": {"status": new_status, "user": bot_user},
        },
    }
    return Update.de_json(data, bot)


def bot_message_json(text: str, chat: dict, bot_user: dict | None = None) -> dict:
    """A message the bot sent (the message a button hangs under)."""
    bot_user = bot_user or {"id": 777000111, "is_bot": True, "first_name": "Salon",
                            "username": "salon_test_bot"}  # fmt: skip
    return {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat,
            "from": bot_user, "text": text}  # fmt: skip


BOT_USER = {"id": 777000111, "is_bot": True, "first_name": "Salon", "username": "salon_test_bot"}


def callback_query_json(data: str, user: dict, chat: dict | None = None) -> dict:
    """A button press on a message the bot sent in `chat` (the user's private chat by default)."""
    return {
        "id": str(next(_ids)),
        "from": user,
        "chat_instance": "5125658290318947893",
        "data": data,
        "message": message_json("(buttons)", BOT_USER, chat or private_chat(user)),
    }


def callback_query(data: str, user: dict, chat: dict | None = None, bot: Bot | None = None):
    """An Update carrying a callback query (a press of an inline button)."""
    data = {"update_id": next(_ids), "callback_query": callback_query_json(data, user, chat)}
    return Update.de_json(data, bot)


callback = callback_query  # the short name the member tests use


def poll_answer(poll_id: str, user: dict, option_ids: list[int], bot: Bot | None = None):
    """An Update carrying a member's vote in a non-anonymous poll."""
    vote = {"poll_id": poll_id, "user": user, "option_ids": option_ids,
            "option_persistent_ids": [str(i) for i in option_ids]}  # fmt: skip
    data = {"update_id": next(_ids), "poll_answer": vote}
    return Update.de_json(data, bot)


def reply(text: str, user: dict, to_message_id: int, bot: Bot | None = None):
    """An Update with a private message replying to the bot's message `to_message_id`."""
    replied = bot_message_json("…", private_chat(user))
    replied["message_id"] = to_message_id
    return message(text, user, bot=bot, reply_to_message=replied)


def group_message(text: str, user: dict, bot: Bot | None = None, *, edited: bool = False, **extra):
    """An Update with a message (or, with `edited`, an edited message) in the community."""
    data = message_json(text, user, GROUP, **extra)
    if edited:
        data["edit_date"] = data["date"] + 60
    key = "edited_message" if edited else "message"
    return Update.de_json({"update_id": next(_ids), key: data}, bot)


def service_message(user: dict, bot: Bot | None = None, **extra):
    """A service message in the community (new_chat_members, left_chat_member, ...)."""
    data = {
        "message_id": next(_message_ids),
        "date": int(extra.pop("date", time.time())),
        "chat": GROUP,
        "from": user,
        **extra,
    }
    return Update.de_json({"update_id": next(_ids), "message": data}, bot)


def emoji(value: str) -> dict:
    """A ReactionTypeEmoji."""
    return {"type": "emoji", "emoji": value}


def reaction(user: dict, message_id: int, old: list, new: list, bot: Bot | None = None, **extra):
    """A message_reaction update: `user` changed their reactions to a community message."""
    data = {
        "chat": extra.pop("chat", GROUP),
        "message_id": message_id,
        "user": user,
        "date": int(extra.pop("date", time.time())),
        "old_reaction": old,
        "new_reaction": new,
    }
    return Update.de_json({"update_id": next(_ids), "message_reaction": data}, bot)


def reaction_count(message_id: int, counts: dict[str, int], bot: Bot | None = None):
    """A message_reaction_count update (anonymous reactions)."""
    data = {
        "chat": GROUP,
        "message_id": message_id,
        "date": int(time.time()),
        "reactions": [{"type": emoji(e), "total_count": n} for e, n in counts.items()],
    }
    return Update.de_json({"update_id": next(_ids), "message_reaction_count": data}, bot)


def chat_member(user: dict, old: str, new: str, bot: Bot | None = None, **extra):
    """A chat_member update: `user`'s status in the community changed from `old` to `new`."""
    data = {
        "chat": GROUP,
        "from": user,
        "date": int(extra.pop("date", time.time())),
        "old_chat_member": {"status": old, "user": user, **extra.pop("old_extra", {})},
        "new_chat_member": {"status": new, "user": user, **extra.pop("new_extra", {})},
    }
    return Update.de_json({"update_id": next(_ids), "chat_member": data}, bot)


def pre_checkout_query(user: dict, invoice: dict, bot: Bot | None = None, **override):
    """A pre_checkout_query for an invoice the bot sent (`invoice`: its sendInvoice parameters).

    `override` replaces fields (currency, total_amount, invoice_payload) as a forged client could.
    """
    query = {
        "id": str(next(_ids)),
        "from": user,
        "currency": invoice["currency"],
        "total_amount": sum(p["amount"] for p in invoice["prices"]),
        "invoice_payload": invoice["payload"],
        **override,
    }
    return Update.de_json({"update_id": next(_ids), "pre_checkout_query": query}, bot)


def successful_payment(user: dict, invoice: dict, charge_id: str, bot: Bot | None = None,
                       **override):  # fmt: skip
    """The service message Telegram sends after the member paid an invoice of the bot's."""
    payment = {
        "currency": invoice["currency"],
        "total_amount": sum(p["amount"] for p in invoice["prices"]),
        "invoice_payload": invoice["payload"],
        "telegram_payment_charge_id": charge_id,
        "provider_payment_charge_id": override.pop("provider_payment_charge_id", ""),
        **override,
    }
    data = {"message_id": next(_message_ids), "date": int(time.time()),
            "chat": private_chat(user), "from": user, "successful_payment": payment}  # fmt: skip
    return Update.de_json({"update_id": next(_ids), "message": data}, bot)
