"""Stripe's error responses: the exception a handler raises, and the JSON body Stripe answers with."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An error the fake answers with, in Stripe's JSON format and with Stripe's status code."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if request_id:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error.update(self.extra)
        return {"error": error}


def resource_missing(object_name: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {object_name}: '{object_id}'", code="resource_missing", param=param)


def parameter_missing(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def parameter_invalid(param: str, message: str, code: str = "parameter_invalid_string") -> StripeError:
    return StripeError(400, message, code=code, param=param)


def invalid_request(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, code=code, param=param)


DECLINED = "Your card was declined."
# Stripe's error code and message per decline code. Lost and stolen cards get the generic message on purpose:
# Stripe never tells the payer why (the merchant sees the decline code).
DECLINES: dict[str, tuple[str, str]] = {
    "generic_decline": ("card_declined", DECLINED),
    "insufficient_funds": ("card_declined", "Your card has insufficient funds."),
    "lost_card": ("card_declined", DECLINED),
    "stolen_card": ("card_declined", DECLINED),
    "fraudulent": ("card_declined", DECLINED),
    "card_velocity_exceeded": ("card_declined", "Your card has exceeded its velocity limit."),
    "expired_card": ("expired_card", "Your card has expired."),
    "incorrect_cvc": ("incorrect_cvc", "Your card's security code is incorrect."),
    "processing_error": (
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
}


def card_declined(decline_code: str = "generic_decline", **extra: Any) -> StripeError:
    """A 402 `card_error` with the code and message Stripe gives for `decline_code` (generic when unknown)."""
    code, message = DECLINES.get(decline_code, DECLINES["generic_decline"])
    return StripeError(
        402,
        message,
        type="card_error",
        code=code,
        param="",
        decline_code=decline_code,
        **extra,
    )


def authentication_error(message: str) -> StripeError:
    return StripeError(401, message)


def unrecognized_url(method: str, path: str) -> StripeError:
    return StripeError(404, f"Unrecognized request URL ({method.upper()}: {path}).")


def api_error(message: str = "An unknown error occurred.") -> StripeError:
    """Stripe's 500: what the fake answers when a handler fails in a way it did not foresee."""
    return StripeError(500, message, type="api_error")
