"""`/v1/webhook_endpoints`: an SDK user registers an endpoint over the API and receives signed events, as with
the server's `--webhook-url`."""

import pytest
import stripe

from django_stripe.testing.fixtures import stripe_fixture


def test_create_then_receive_signed_events(client, fake, receiver):
    endpoint = client.v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": ["*"], "description": "local", "metadata": {"env": "test"}}
    )
    assert endpoint.id.startswith("we_") and endpoint.secret.startswith("whsec_")
    assert endpoint.status == "enabled" and endpoint.url == receiver.url and endpoint.metadata["env"] == "test"
    receiver.secret = endpoint.secret

    customer = client.v1.customers.create({"email": "a@example.com"})
    assert receiver.types() == ["customer.created"] and not receiver.failures
    assert receiver.events[0].data.object.id == customer.id
    assert fake.events[-1]["pending_webhooks"] == 1


def test_retrieve_list_and_delete(client, fake, receiver):
    endpoint = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
    other = client.v1.webhook_endpoints.create({"url": "https://example.com/hook", "enabled_events": ["*"]})
    assert other.secret != endpoint.secret

    retrieved = client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert set(retrieved.to_dict()) == set(stripe_fixture("webhook_endpoint"))  # the secret is shown once only
    assert [e.id for e in client.v1.webhook_endpoints.list().data] == [other.id, endpoint.id]

    deleted = client.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.deleted is True and set(deleted.to_dict()) == set(stripe_fixture("deleted_webhook_endpoint"))
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert error.value.code == "resource_missing"
    client.v1.customers.create({"email": "a@example.com"})
    assert receiver.events == [] and all(d.url != receiver.url for d in fake.deliveries)


def test_enabled_events_filter_what_is_sent(client, fake, receiver):
    endpoint = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["product.updated"]})
    receiver.secret = endpoint.secret
    product = client.v1.products.create({"name": "A"})
    client.v1.products.update(product.id, {"name": "B"})
    assert receiver.types() == ["product.updated"]
    assert [e["pending_webhooks"] for e in fake.events] == [0, 1]


def test_two_endpoints_on_one_url_each_sign_with_their_own_secret(client, fake, receiver):
    first = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
    client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
    receiver.secret = first.secret
    client.v1.products.create({"name": "A"})
    assert len(receiver.events) == 1 and len(receiver.failures) == 1  # the other one is signed differently


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"enabled_events": ["*"]}, "url"),
        ({"url": "ftp://example.com", "enabled_events": ["*"]}, "url"),
        ({"url": "https://example.com/hook"}, "enabled_events"),
    ],
)
def test_bad_endpoints_are_a_400(client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.webhook_endpoints.create(params)
    assert error.value.http_status == 400 and error.value.param == param
