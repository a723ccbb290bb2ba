"""A customer's balance, applied when an invoice is finalized: a credit (negative) lowers what is due, a debt
(positive) adds to it, and what is left of either stays on the customer."""


def subscribe(client, customer, price):
    return client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )


def test_a_credit_lowers_what_is_due(client, fake, price):
    customer = client.v1.customers.create({"email": "jenny@example.com", "balance": -500})
    count = len(fake.events)
    invoice = client.v1.invoices.retrieve(subscribe(client, customer, price).latest_invoice)
    assert (invoice.total, invoice.starting_balance, invoice.ending_balance) == (2000, -500, 0)
    assert invoice.amount_due == invoice.amount_paid == 1500 and invoice.status == "paid"
    assert client.v1.customers.retrieve(customer.id).balance == 0
    moved = [e for e in fake.events[count:] if e["data"].get("previous_attributes") == {"balance": -500}]
    assert [e["type"] for e in moved] == ["customer.updated"]
    types = [e["type"] for e in fake.events[count:]]
    assert types.index("invoice.finalized") < fake.events[count:].index(moved[0]) < types.index("invoice.paid")


def test_a_credit_larger_than_the_invoice_pays_it_and_keeps_the_rest(client, price):
    customer = client.v1.customers.create({"email": "jenny@example.com", "balance": -5000})
    invoice = client.v1.invoices.retrieve(subscribe(client, customer, price).latest_invoice)
    assert invoice.amount_due == invoice.amount_paid == 0 and invoice.attempted is False
    assert (invoice.starting_balance, invoice.ending_balance) == (-5000, -3000)
    assert client.v1.customers.retrieve(customer.id).balance == -3000


def test_a_debt_is_added_to_the_invoice(client, price):
    customer = client.v1.customers.create({"email": "jenny@example.com", "balance": 700})
    invoice = client.v1.invoices.retrieve(subscribe(client, customer, price).latest_invoice)
    assert invoice.amount_due == invoice.amount_paid == 2700
    assert (invoice.starting_balance, invoice.ending_balance) == (700, 0)
    assert client.v1.customers.retrieve(customer.id).balance == 0


def test_without_a_balance_nothing_moves(client, fake, customer, price):
    count = len(fake.events)
    invoice = client.v1.invoices.retrieve(subscribe(client, customer, price).latest_invoice)
    assert (invoice.starting_balance, invoice.ending_balance, invoice.amount_due) == (0, 0, 2000)
    assert not any(e["data"].get("previous_attributes") == {"balance": 0} for e in fake.events[count:])
    assert client.v1.invoice_items.list({"customer": customer.id}).data == []
