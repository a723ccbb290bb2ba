/* A stand-in for the subset of Stripe.js v3 that django-stripe's pages use, served by the fake Stripe at
 * <fake>/v3/. Test mode only, no network beyond the fake:
 *
 *   var stripe = Stripe("pk_test_...");
 *   var card = stripe.elements().create("card", {hidePostalCode: false});
 *   card.mount("#card-element"); card.on("change", function (event) { ... event.error ... });
 *   stripe.confirmCardSetup(clientSecret, {payment_method: {card: card, billing_details: {...}}})
 *     -> Promise<{setupIntent} | {error: {type, code, message, ...}}>
 *   stripe.redirectToCheckout({sessionId: "cs_test_..."})
 *
 * The card field is plain inputs (no iframe). confirmCardSetup sends the typed card to the fake's
 * POST /v1/setup_intents/{id}/confirm with the publishable key and the client secret, as Stripe.js does;
 * 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined with Stripe's message.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var BASE = script ? script.src.replace(/\/v3\/?(stripe\.js)?(\?.*)?$/, "") : "";

  var MESSAGES = {
    incomplete_number: "Your card number is incomplete.",
    invalid_number: "Your card number is invalid.",
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration date is invalid.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    incomplete_cvc: "Your card's security code is incomplete.",
    incomplete_zip: "Your postal code is incomplete.",
  };

  function validationError(code) {
    return { type: "validation_error", code: code, message: MESSAGES[code] };
  }

  function digits(value) {
    return String(value || "").replace(/\D/g, "");
  }

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = Number(number[number.length - 1 - i]);
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    return number.length >= 12 && sum % 10 === 0;
  }

  function brandOf(number) {
    if (/^4/.test(number)) return "visa";
    if (/^(5[1-5]|2[2-7])/.test(number)) return "mastercard";
    if (/^3[47]/.test(number)) return "amex";
    if (/^6(011|5)/.test(number)) return "discover";
    return "unknown";
  }

  var FIELDS = [
    { name: "number", label: "Card number", placeholder: "1234 1234 1234 1234", autocomplete: "cc-number",
      maxLength: 23, grow: "3 1 11rem" },
    { name: "expiry", label: "Expiration date (MM / YY)", placeholder: "MM / YY", autocomplete: "cc-exp",
      maxLength: 7, grow: "1 1 4.5rem" },
    { name: "cvc", label: "Security code (CVC)", placeholder: "CVC", autocomplete: "cc-csc", maxLength: 4,
      grow: "1 1 3.5rem" },
    { name: "postalCode", label: "ZIP or postal code", placeholder: "ZIP", autocomplete: "postal-code",
      maxLength: 10, grow: "1 1 4.5rem", text: true },
  ];

  function CardElement(options) {
    this._options = options || {};
    this._handlers = {};
    this._inputs = {};
    this._container = null;
  }

  CardElement.prototype.mount = function (target) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) throw new Error("Stripe (fake): mount target not found: " + target);
    var self = this;
    var row = document.createElement("div");
    row.setAttribute("data-fake-stripe", "card");
    row.style.cssText = "display:flex;flex-wrap:wrap;gap:.5rem;align-items:center";
    FIELDS.forEach(function (field) {
      if (field.name === "postalCode" && self._options.hidePostalCode) return;
      var input = document.createElement("input");
      input.type = "text";
      input.name = "fake-stripe-" + field.name;
      input.setAttribute("aria-label", field.label);
      input.placeholder = field.placeholder;
      input.autocomplete = field.autocomplete;
      input.maxLength = field.maxLength;
      input.inputMode = field.text ? "text" : "numeric";
      input.spellcheck = false;
      input.style.cssText = "flex:" + field.grow + ";min-width:0;border:0;outline:0;background:transparent;" +
        "font:inherit;color:inherit;padding:.15rem 0";
      input.addEventListener("input", function () {
        self._format(field.name);
        self._emit(false);
      });
      input.addEventListener("focus", function () {
        container.classList.add("StripeElement--focus");
        self._fire("focus", { elementType: "card" });
      });
      input.addEventListener("blur", function () {
        container.classList.remove("StripeElement--focus");
        self._emit(true);
        self._fire("blur", { elementType: "card" });
      });
      self._inputs[field.name] = input;
      row.appendChild(input);
    });
    container.innerHTML = "";
    container.appendChild(row);
    container.classList.add("StripeElement", "StripeElement--empty");
    this._container = container;
    setTimeout(function () { self._fire("ready", { elementType: "card" }); }, 0);
  };

  CardElement.prototype._format = function (name) {
    var input = this._inputs[name];
    if (name === "number") {
      input.value = digits(input.value).slice(0, 19).replace(/(\d{4})(?=\d)/g, "$1 ");
    } else if (name === "expiry") {
      var d = digits(input.value).slice(0, 4);
      input.value = d.length > 2 ? d.slice(0, 2) + " / " + d.slice(2) : d;
    } else if (name === "cvc") {
      input.value = digits(input.value).slice(0, 4);
    }
  };

  CardElement.prototype._values = function () {
    var get = function (input) { return input ? input.value.trim() : ""; };
    var expiry = digits(get(this._inputs.expiry));
    return {
      number: digits(get(this._inputs.number)),
      expMonth: expiry.slice(0, 2),
      expYear: expiry.slice(2, 4),
      cvc: digits(get(this._inputs.cvc)),
      postalCode: get(this._inputs.postalCode),
    };
  };

  /* The first problem with the card, or null. `partial`: only what is already wrong, not what is missing. */
  CardElement.prototype._problem = function (partial) {
    var v = this._values();
    var numberLength = brandOf(v.number) === "amex" ? 15 : 16;
    if (v.number.length >= numberLength && !luhn(v.number)) return validationError("invalid_number");
    if (!partial && (v.number.length < 12 || v.number.length < numberLength)) {
      return validationError("incomplete_number");
    }
    if (v.expMonth.length === 2 && (Number(v.expMonth) < 1 || Number(v.expMonth) > 12)) {
      return validationError("invalid_expiry_month");
    }
    if (v.expYear.length === 2) {
      var now = new Date();
      var year = 2000 + Number(v.expYear);
      if (year < now.getFullYear() || (year === now.getFullYear() && Number(v.expMonth) < now.getMonth() + 1)) {
        return validationError("invalid_expiry_year_past");
      }
    }
    if (!partial && (v.expMonth.length < 2 || v.expYear.length < 2)) return validationError("incomplete_expiry");
    if (!partial && v.cvc.length < 3) return validationError("incomplete_cvc");
    if (!partial && this._inputs.postalCode && !v.postalCode) return validationError("incomplete_zip");
    return null;
  };

  CardElement.prototype._emit = function (blurred) {
    var v = this._values();
    var empty = !v.number && !v.expMonth && !v.cvc && !v.postalCode;
    var error = this._problem(!blurred || empty);
    var complete = !this._problem(false);
    var c = this._container;
    if (c) {
      c.classList.toggle("StripeElement--empty", empty);
      c.classList.toggle("StripeElement--complete", complete);
      c.classList.toggle("StripeElement--invalid", Boolean(error));
    }
    this._fire("change", {
      elementType: "card", empty: empty, complete: complete, error: error || undefined,
      brand: brandOf(v.number), value: { postalCode: v.postalCode },
    });
  };

  CardElement.prototype._fire = function (name, event) {
    (this._handlers[name] || []).forEach(function (handler) { handler(event); });
  };

  CardElement.prototype.on = function (name, handler) {
    (this._handlers[name] = this._handlers[name] || []).push(handler);
    return this;
  };
  CardElement.prototype.off = function (name, handler) {
    this._handlers[name] = (this._handlers[name] || []).filter(function (h) { return h !== handler; });
    return this;
  };
  CardElement.prototype.focus = function () {
    if (this._inputs.number) this._inputs.number.focus();
  };
  CardElement.prototype.blur = function () {
    if (document.activeElement) document.activeElement.blur();
  };
  CardElement.prototype.clear = function () {
    Object.keys(this._inputs).forEach(function (k) { this._inputs[k].value = ""; }, this);
    this._emit(false);
  };
  CardElement.prototype.update = function (options) {
    Object.assign(this._options, options || {});
  };
  CardElement.prototype.unmount = function () {
    if (this._container) this._container.innerHTML = "";
    this._inputs = {};
  };
  CardElement.prototype.destroy = CardElement.prototype.unmount;

  function Elements() {
    this._elements = {};
  }
  Elements.prototype.create = function (type, options) {
    if (type !== "card") throw new Error("Stripe (fake): only the 'card' element is available offline.");
    return (this._elements[type] = new CardElement(options));
  };
  Elements.prototype.getElement = function (type) {
    return this._elements[type] || null;
  };

  function flatten(prefix, value, into) {
    if (value === null || value === undefined || value === "") return into;
    if (typeof value === "object") {
      Object.keys(value).forEach(function (key) { flatten(prefix + "[" + key + "]", value[key], into); });
    } else {
      into.append(prefix, String(value));
    }
    return into;
  }

  function post(path, params) {
    return fetch(BASE + path, { method: "POST", body: params })
      .then(function (response) {
        return response.json().then(function (body) {
          return response.ok ? { body: body } : { error: body.error || { type: "api_error", message: "Stripe error" } };
        });
      })
      .catch(function () {
        return { error: { type: "api_connection_error", message: "Could not connect to Stripe." } };
      });
  }

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) return new Stripe(key, options);
    if (!key || typeof key !== "string") throw new Error("Stripe (fake): a publishable key is required.");
    this._key = key;
  }

  Stripe.prototype.elements = function () {
    return new Elements();
  };

  Stripe.prototype.confirmCardSetup = function (clientSecret, data) {
    var paymentMethod = (data && data.payment_method) || {};
    var params = new URLSearchParams();
    params.append("key", this._key);
    params.append("client_secret", clientSecret);
    if (typeof paymentMethod === "string") {
      params.append("payment_method", paymentMethod);
    } else {
      var card = paymentMethod.card;
      if (!card || !card._values) {
        return Promise.resolve({ error: { type: "invalid_request_error", message: "A card element is required." } });
      }
      var problem = card._problem(false);
      if (problem) return Promise.resolve({ error: problem });
      var v = card._values();
      var billing = JSON.parse(JSON.stringify(paymentMethod.billing_details || {}));
      if (v.postalCode) {
        billing.address = billing.address || {};
        billing.address.postal_code = billing.address.postal_code || v.postalCode;
      }
      params.append("payment_method_data[type]", "card");
      params.append("payment_method_data[card][number]", v.number);
      params.append("payment_method_data[card][exp_month]", String(Number(v.expMonth)));
      params.append("payment_method_data[card][exp_year]", String(2000 + Number(v.expYear)));
      params.append("payment_method_data[card][cvc]", v.cvc);
      flatten("payment_method_data[billing_details]", billing, params);
    }
    var id = String(clientSecret || "").split("_secret_")[0];
    return post("/v1/setup_intents/" + encodeURIComponent(id) + "/confirm", params).then(function (result) {
      return result.error ? { error: result.error } : { setupIntent: result.body };
    });
  };

  Stripe.prototype.redirectToCheckout = function (options) {
    var sessionId = options && options.sessionId;
    if (!sessionId) {
      return Promise.resolve({ error: { type: "invalid_request_error", message: "sessionId is required." } });
    }
    window.location.assign(BASE + "/c/pay/" + encodeURIComponent(sessionId));
    return new Promise(function () {});
  };

  Stripe.fake = true;
  window.Stripe = Stripe;
})();
