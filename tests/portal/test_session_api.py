"""The pages call the REST API with the session cookie, where `request.user` is Django's lazy proxy."""

from django.urls import reverse


def test_first_setup_intent_of_a_session_user_creates_their_customer(logged_in, user, plans):
    response = logged_in.post(reverse("setup-intents"))

    assert response.status_code == 201, response.content
    assert response.json()["client_secret"].startswith(response.json()["id"])
    user.refresh_from_db()
    assert user.stripe_customer_id
