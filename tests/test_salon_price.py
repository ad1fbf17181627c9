"""Organizers set a price: parsing amounts, /newsalon's price step and one-liner, Edit price."""

from __future__ import annotations

import pytest

from bot.salons.input import InputError, parse_salon_price
from bot.seats.money import format_amount, parse_price
from tests.conftest import make_config
from tests.organizer import buttons, last_call, local_in, salons_in, stored_salon, text_of
from tests.updates import ORGANIZER, callback_query, message


@pytest.fixture
def config(db_url):
    """Tests answer a dialogue faster than anyone types: every private text counts."""
    return make_config(db_url, limits={"commands_per_user": 1000})


ME = ORGANIZER["id"]


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("50", "XTR", (50, "XTR")),
        ("50 XTR", "CNY", (50, "XTR")),
        ("50⭐", "CNY", (50, "XTR")),
        ("12 stars", "CNY", (12, "XTR")),
        ("49.90 CNY", "XTR", (4990, "CNY")),
        ("cny 49,9", "XTR", (4990, "CNY")),
        ("49.9", "CNY", (4990, "CNY")),
        ("1000 JPY", "XTR", (1000, "JPY")),
        ("0", "XTR", (0, "")),
        ("free", "CNY", (0, "")),
        ("免费", "CNY", (0, "")),
        ("0.00 USD", "XTR", (0, "")),
    ],
)
def test_prices_are_read_in_the_smallest_unit(text, default, expected):
    assert parse_price(text, default) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "Please send the price as a number"),
        ("-5", "Please send the price as a number"),
        ("5 DOGE", "I do not know that currency"),
        ("1.5", "Too many decimals"),
        ("1.234 USD", "Too many decimals"),
        ("20000 XTR", "too high"),
        ("49.90 CNY", "provider_token"),
    ],
)
def test_bad_prices_are_refused_with_a_reason(text, message):
    with pytest.raises(InputError) as error:
        parse_salon_price(text, "XTR", has_provider=False)
    assert message in error.value.text(lambda s: s)


def test_amounts_are_shown_in_the_currency():
    assert format_amount(50, "XTR") == "50 ⭐"
    assert format_amount(4990, "CNY") == "49.90 CNY"
    assert format_amount(1000, "JPY") == "1000 JPY"


async def test_one_liner_with_a_price_and_the_preview_shows_it(app, fake_request, db):
    start = local_in(5)
    text = f"/newsalon Workshop | {text_of(start)} | 8 | Room 1 | craft | 25 XTR"
    await app.process_update(message(text, ORGANIZER, bot=app.bot))
    [salon] = await salons_in(db)
    assert (salon.price_amount, salon.currency) == (25, "XTR")
    assert "💰 25 ⭐" in last_call(fake_request, ME).params["text"]
    await app.process_update(message(f"/newsalon Other | {text_of(start)} | 8 | | | 9.99 USD",
                                     ORGANIZER, bot=app.bot))  # fmt: skip
    assert "provider_token" in fake_request.sent_texts(ME)[-1]
    assert len(await salons_in(db)) == 1


async def test_guided_price_step_refuses_bad_prices_then_stores_a_free_salon(app, fake_request, db):
    await app.process_update(message("/newsalon", ORGANIZER, bot=app.bot))
    for answer in ("Free talk", None, None, text_of(local_in(3)), None, None, None, None):
        if answer is None:
            data = next(iter(buttons(last_call(fake_request, ME)).values()))
            await app.process_update(callback_query(data, ORGANIZER, bot=app.bot))
        else:
            await app.process_update(message(answer, ORGANIZER, bot=app.bot))
    assert "How much does a seat cost?" in last_call(fake_request, ME).params["text"]
    await app.process_update(message("1.5", ORGANIZER, bot=app.bot))
    assert fake_request.sent_texts(ME)[-1].startswith("Too many decimals")
    assert await salons_in(db) == []
    await app.process_update(message("0", ORGANIZER, bot=app.bot))
    [salon] = await salons_in(db)
    assert (salon.title, salon.price_amount, salon.currency) == ("Free talk", 0, "")


async def test_edit_price_changes_it_and_bad_input_changes_nothing(app, fake_request, db):
    salon = await stored_salon(db)
    await app.process_update(callback_query(f"S:m:{salon.id}", ORGANIZER, bot=app.bot))
    assert "💰 Edit price" in buttons(fake_request.calls_to("editMessageText")[-1])
    await app.process_update(callback_query(f"S:ep:{salon.id}", ORGANIZER, bot=app.bot))
    assert "Send the new price" in fake_request.sent_texts(ME)[-1]
    await app.process_update(message("lots", ORGANIZER, bot=app.bot))
    assert (await salons_in(db))[0].price_amount == 0
    await app.process_update(message("40", ORGANIZER, bot=app.bot))
    [changed] = await salons_in(db)
    assert (changed.price_amount, changed.currency) == (40, "XTR")
    assert "💰 40 ⭐" in fake_request.sent_texts(ME)[-1]
