"""What a browser opens on the fake over HTTP: the billing portal page (cancel and renew, without taking an
injected fault), the hosted invoice page and the invoice PDF."""

import re
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
import stripe

from django_stripe.client import get_client


def open_page(url, **form):
    """(status, headers, body text) of a GET, or of a POST when `form` is given."""
    data = urlencode(form).encode() if form else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture
def subscribed(stripe_fake_server):
    client = get_client()
    price = client.v1.prices.create(
        {"product_data": {"name": "Pro"}, "currency": "usd", "unit_amount": 1500, "recurring": {"interval": "month"}}
    )
    customer = client.v1.customers.create({"email": "jenny@example.com"})
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    return client, customer, subscription


def test_portal_page_cancels_and_renews(stripe_fake_server, subscribed):
    client, customer, subscription = subscribed
    session = client.v1.billing_portal.sessions.create({"customer": customer.id, "return_url": "https://example.com"})
    assert session.url.startswith(stripe_fake_server.public_url)

    status, _, page = open_page(session.url)
    assert status == 200 and subscription.id in page and ">Cancel<" in page and "https://example.com" in page

    status, _, page = open_page(session.url, subscription=subscription.id, action="cancel")
    assert status == 200 and "cancels at period end" in page and ">Renew<" in page
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is True
    event = stripe_fake_server.events[-1]
    assert event["type"] == "customer.subscription.updated"
    assert event["data"]["previous_attributes"]["cancel_at_period_end"] is False

    open_page(session.url, subscription=subscription.id, action="renew")
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is False


def test_portal_click_leaves_injected_faults_to_the_api(stripe_fake_server, subscribed, settings):
    client, customer, subscription = subscribed
    session = client.v1.billing_portal.sessions.create({"customer": customer.id})
    stripe_fake_server.fail_next(1, status=500)

    status, _, _ = open_page(session.url, subscription=subscription.id, action="cancel")
    assert status == 200 and stripe_fake_server.pending_faults() == 1
    assert stripe_fake_server.get(subscription.id)["cancel_at_period_end"] is True
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(stripe.APIError):
        get_client().v1.subscriptions.retrieve(subscription.id)  # the fault was kept for the API


def test_portal_page_leaves_other_customers_alone(stripe_fake_server, subscribed):
    client, _, subscription = subscribed
    stranger = client.v1.customers.create({"email": "mallory@example.com"})
    session = client.v1.billing_portal.sessions.create({"customer": stranger.id})
    status, _, page = open_page(session.url, subscription=subscription.id, action="cancel")
    assert status == 200 and subscription.id not in page
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is False
    assert open_page(f"{stripe_fake_server.public_url}/p/session/bps_missing")[0] == 404


def test_hosted_invoice_page_and_pdf(stripe_fake_server, subscribed):
    client, _, subscription = subscribed
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert invoice.hosted_invoice_url == f"{stripe_fake_server.public_url}/i/{invoice.id}"
    assert invoice.invoice_pdf == f"{stripe_fake_server.public_url}/invoice/{invoice.id}/pdf"

    status, headers, page = open_page(invoice.hosted_invoice_url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert invoice.number in page and "Status: paid" in page and "15.00 USD" in page and invoice.invoice_pdf in page

    status, headers, document = open_page(invoice.invoice_pdf)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert document.startswith("%PDF-1.4") and document.endswith("%%EOF\n") and invoice.number in document
    xref = int(re.search(r"startxref\n(\d+)\n", document)[1])
    assert document[xref:].startswith("xref")  # a reader finds the objects where the file says they are
    for number, offset in enumerate(re.findall(r"(\d{10}) 00000 n", document), start=1):
        assert document[int(offset) :].startswith(f"{number} 0 obj")

    assert open_page(f"{stripe_fake_server.public_url}/i/in_missing")[0] == 404
    assert open_page(f"{stripe_fake_server.public_url}/invoice/in_missing/pdf")[0] == 404


def test_in_process_invoice_links_point_at_stripe(stripe_fake):
    client = get_client()
    price = client.v1.prices.create(
        {"product_data": {"name": "Pro"}, "currency": "usd", "unit_amount": 100, "recurring": {"interval": "month"}}
    )
    customer = client.v1.customers.create()
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": "pm_card_visa"}
    )
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert invoice.hosted_invoice_url == f"https://invoice.stripe.com/i/{invoice.id}"
    status, _, page = stripe_fake.handle("GET", f"/i/{invoice.id}")  # the same page, without a server
    assert status == 200 and invoice.number in page
