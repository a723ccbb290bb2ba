"""A declined card answers with Stripe's code and message for its decline code, not one message for all."""

import pytest
import stripe

DECLINES = [
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    (
        "pm_card_chargeDeclinedInsufficientFunds",
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card", "Your card was declined."),
    ("pm_card_chargeDeclinedStolenCard", "card_declined", "stolen_card", "Your card was declined."),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "Your card has expired."),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    (
        "pm_card_chargeDeclinedProcessingError",
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
]


@pytest.mark.parametrize(("token", "code", "decline_code", "message"), DECLINES)
def test_setup_intent_decline_messages(client, customer, token, code, decline_code, message):
    intent = client.v1.setup_intents.create({"customer": customer.id})
    with pytest.raises(stripe.CardError) as error:
        client.v1.setup_intents.confirm(intent.id, {"payment_method": token})
    assert error.value.http_status == 402
    assert (error.value.code, error.value.error.decline_code, error.value.user_message) == (code, decline_code, message)
    failed = client.v1.setup_intents.retrieve(intent.id).last_setup_error
    assert (failed.code, failed.decline_code, failed.message) == (code, decline_code, message)


def test_subscription_decline_message(client, customer, price):
    with pytest.raises(stripe.CardError) as error:
        client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price": price.id}],
                "default_payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                "payment_behavior": "error_if_incomplete",
            }
        )
    assert error.value.user_message == "Your card has insufficient funds."
    assert error.value.error.decline_code == "insufficient_funds"


def test_raw_decline_card_numbers(client):
    expired = client.v1.payment_methods.create({"type": "card", "card": {"number": "4000000000000069"}})
    with pytest.raises(stripe.CardError) as error:
        client.v1.setup_intents.create({"payment_method": expired.id, "confirm": True})
    assert error.value.code == "expired_card" and error.value.user_message == "Your card has expired."
