/* django-stripe: the self-hosted checkout and subscription portal. No build step, no dependencies but
 * Stripe.js. The page holds its settings in <script id="django-stripe-config" type="application/json">.
 *
 * Checkout:  POST setup-intents -> stripe.confirmCardSetup -> POST subscriptions -> the history page.
 * Portal:    PUT subscriptions/<id>/ {cancel_at_period_end}, and a new card: setup intent, confirmCardSetup,
 *            PUT subscriptions/<id>/ {default_payment_method, set_as_default_payment_method};
 *            DELETE subscriptions/<id>/scheduled-change/ cancels a change waiting for the renewal.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("django-stripe-config");
  if (!configElement) return;
  var config = JSON.parse(configElement.textContent);
  var stripe = null;

  function getStripe() {
    if (!stripe) {
      if (typeof window.Stripe !== "function") throw new Error("Stripe.js could not be loaded. Please reload the page.");
      stripe = window.Stripe(config.publishableKey);
    }
    return stripe;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function messageOf(data, status) {
    if (data && typeof data.detail === "string") return data.detail;
    if (data && typeof data === "object") {
      for (var key in data) {
        var value = Array.isArray(data[key]) ? data[key][0] : data[key];
        if (typeof value === "string") return value;
      }
    }
    return "Something went wrong (HTTP " + status + "). Please try again.";
  }

  /* A JSON request to the REST API, with the session cookie and the CSRF token. Rejects with the message. */
  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(
      function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) throw new Error(messageOf(data, response.status));
          return data;
        });
      },
      function () {
        throw new Error("The server could not be reached. Please check your connection and try again.");
      }
    );
  }

  function showError(region, message) {
    if (!region) return;
    region.textContent = message || "";
    region.classList.toggle("ds-error--shown", Boolean(message));
  }

  function setBusy(button, busy, busyText) {
    if (!button) return;
    if (busy) {
      button.dataset.label = button.dataset.label || button.textContent;
      button.textContent = busyText;
    } else if (button.dataset.label) {
      button.textContent = button.dataset.label;
    }
    button.disabled = busy;
    button.setAttribute("aria-busy", busy ? "true" : "false");
  }

  /* The card field, name and country of one form; `confirm()` saves the card and resolves to its id. */
  function CardForm(form) {
    this.form = form;
    this.errors = form.querySelector("[data-ds-errors]");
    this.card = getStripe().elements().create("card", {
      hidePostalCode: Boolean(config.hidePostalCode),
      style: { base: { fontSize: "16px", color: "#1a1f36", "::placeholder": { color: "#8792a2" } } },
    });
    this.card.mount(form.querySelector("[data-ds-card]"));
    var errors = this.errors;
    this.card.on("change", function (event) { showError(errors, event.error ? event.error.message : ""); });
  }

  CardForm.prototype.confirm = function () {
    var form = this.form;
    var card = this.card;
    var name = form.querySelector("[data-ds-name]").value.trim();
    var country = form.querySelector("[data-ds-country]").value;
    if (!name) return Promise.reject(new Error("Please enter the name on the card."));
    return api("POST", config.urls.setupIntents)
      .then(function (setupIntent) {
        return getStripe().confirmCardSetup(setupIntent.client_secret, {
          payment_method: { card: card, billing_details: { name: name, address: { country: country } } },
        });
      })
      .then(function (result) {
        if (result.error) throw new Error(result.error.message);
        var paymentMethod = result.setupIntent.payment_method;
        return typeof paymentMethod === "string" ? paymentMethod : paymentMethod.id;
      });
  };

  function subscriptionUrl(id) {
    return config.urls.subscriptions + encodeURIComponent(id) + "/";
  }

  /* The checkout page. */
  var checkout = document.querySelector("[data-ds-checkout]");
  if (checkout) {
    var checkoutCard = null;
    try {
      checkoutCard = new CardForm(checkout);
    } catch (error) {
      showError(checkout.querySelector("[data-ds-errors]"), error.message);
    }
    checkout.addEventListener("submit", function (event) {
      event.preventDefault();
      var errors = checkout.querySelector("[data-ds-errors]");
      var button = checkout.querySelector("[data-ds-submit]");
      var price = checkout.querySelector("input[name=price_id]:checked");
      showError(errors, "");
      if (!checkoutCard) return showError(errors, "Stripe.js could not be loaded. Please reload the page.");
      if (!price) return showError(errors, "Please choose a plan.");
      setBusy(button, true, "Processing…");
      checkoutCard
        .confirm()
        .then(function (paymentMethod) {
          return api("POST", config.urls.subscriptions, {
            price_id: price.value,
            default_payment_method: paymentMethod,
            set_as_default_payment_method: true,
          });
        })
        .then(function () {
          window.location.assign(config.urls.success || config.urls.history || "/");
        })
        .catch(function (error) {
          showError(errors, error.message);
          setBusy(button, false);
        });
    });
  }

  /* The subscription page. */
  var panel = document.querySelector("[data-ds-subscription]");
  if (panel) {
    var subscriptionId = panel.getAttribute("data-ds-subscription");
    var actionErrors = panel.querySelector("[data-ds-action-errors]");
    var cardForm = panel.querySelector("[data-ds-card-form]");
    var newCard = null;

    var change = function (button, body, method, path) {
      showError(actionErrors, "");
      setBusy(button, true, "Saving…");
      return api(method || "PUT", subscriptionUrl(subscriptionId) + (path || ""), body)
        .then(function () { window.location.reload(); })
        .catch(function (error) {
          showError(actionErrors, error.message);
          setBusy(button, false);
        });
    };

    panel.addEventListener("click", function (event) {
      var button = event.target.closest("[data-ds-action]");
      if (!button) return;
      var action = button.getAttribute("data-ds-action");
      if (action === "cancel") change(button, { cancel_at_period_end: true });
      if (action === "resume") change(button, { cancel_at_period_end: false });
      if (action === "cancel-change") change(button, undefined, "DELETE", "scheduled-change/");
      if (action === "change-card" && cardForm) {
        var open = cardForm.hidden;
        cardForm.hidden = !open;
        button.setAttribute("aria-expanded", open ? "true" : "false");
        if (open && !newCard) {
          try {
            newCard = new CardForm(cardForm);
          } catch (error) {
            showError(cardForm.querySelector("[data-ds-errors]"), error.message);
          }
        }
        if (open) cardForm.querySelector("[data-ds-name]").focus();
      }
    });

    if (cardForm) {
      cardForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var errors = cardForm.querySelector("[data-ds-errors]");
        var button = cardForm.querySelector("[data-ds-submit]");
        showError(errors, "");
        if (!newCard) return;
        setBusy(button, true, "Saving…");
        newCard
          .confirm()
          .then(function (paymentMethod) {
            return api("PUT", subscriptionUrl(subscriptionId), {
              default_payment_method: paymentMethod,
              set_as_default_payment_method: true,
            });
          })
          .then(function () { window.location.reload(); })
          .catch(function (error) {
            showError(errors, error.message);
            setBusy(button, false);
          });
      });
    }
  }
})();
