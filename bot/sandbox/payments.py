"""The sandbox's side of Telegram payments: pre-checkout queries, successful payments, and
the Stars charges that refundStarPayment may refund (mixed into `BotApiSandbox`)."""

from __future__ import annotations

import json
import time


class PaymentsSide:
    """Payment methods of `BotApiSandbox`; it owns the state (`pre_checkout_answers`,
    `star_charges`, `_charge_ids`, `_message_ids`, `_cond`) and `push_update`."""

    def push_pre_checkout(self, user: dict, invoice: dict, **override) -> str:
        """A member presses Pay on an invoice the bot sent (`invoice`: sendInvoice parameters).

        `override` replaces fields of the query (currency, total_amount, invoice_payload), as a
        forged or stale client could. Returns the query id; the bot's answer lands in
        `pre_checkout_answers[id]`.
        """
        query_id = f"pcq{next(self._charge_ids)}"
        query = {"id": query_id, "from": user, "currency": invoice["currency"],
                 "total_amount": invoice_total(invoice), "invoice_payload": invoice["payload"],
                 **override}  # fmt: skip
        self.push_update({"pre_checkout_query": query})
        return query_id

    def push_successful_payment(self, user: dict, invoice: dict, **override) -> str:
        """Telegram took the member's money: the service message with `successful_payment`.

        Stars charges are remembered so refundStarPayment can be checked. Returns the
        telegram_payment_charge_id.
        """
        charge = override.pop("telegram_payment_charge_id", None) or (
            f"stxsandbox{next(self._charge_ids):06d}"
        )
        payment = {"currency": invoice["currency"], "total_amount": invoice_total(invoice),
                   "invoice_payload": invoice["payload"], "telegram_payment_charge_id": charge,
                   "provider_payment_charge_id": override.pop("provider_payment_charge_id", ""),
                   **override}  # fmt: skip
        if payment["currency"] == "XTR":
            self.add_star_charge(charge, user["id"], payment["total_amount"])
        chat = {"id": user["id"], "type": "private", "first_name": user.get("first_name", "")}
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": chat, "from": user, "successful_payment": payment}  # fmt: skip
        self.push_update({"message": message})
        return charge

    def add_star_charge(self, charge: str, user_id: int, amount: int) -> None:
        """Remember a Stars payment (refundStarPayment accepts only charges it knows)."""
        with self._cond:
            self.star_charges.setdefault(
                charge, {"user_id": user_id, "amount": amount, "refunded": False}
            )

    def wait_pre_checkout(self, query_id: str, timeout: float = 20.0) -> dict:
        """The bot's answer to a pre-checkout query ({"ok": ..., "error_message": ...})."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                answer = self.pre_checkout_answers.get(query_id)
            if answer is not None:
                return answer
            time.sleep(0.02)
        raise TimeoutError(f"no answer to pre-checkout query {query_id}")

    def _refund(self, params: dict) -> tuple[int, dict]:
        with self._cond:
            charge = self.star_charges.get(str(params.get("telegram_payment_charge_id")))
            if charge is None or charge["user_id"] != int(params.get("user_id") or 0):
                return 400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: CHARGE_NOT_FOUND"}  # fmt: skip
            if charge["refunded"]:
                return 400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: CHARGE_ALREADY_REFUNDED"}  # fmt: skip
            charge["refunded"] = True
        return 200, {"ok": True, "result": True}

    def _record_pre_checkout_answer(self, params: dict) -> None:
        with self._cond:
            self.pre_checkout_answers[str(params.get("pre_checkout_query_id"))] = {
                "ok": bool(params.get("ok")),
                "error_message": params.get("error_message"),
            }


def invoice_total(invoice: dict) -> int:
    """The sum of an invoice's prices (sendInvoice's `prices`, decoded or as JSON text)."""
    prices = invoice.get("prices") or []
    if isinstance(prices, str):
        prices = json.loads(prices)
    return sum(int(p["amount"]) for p in prices)
