"""The old name of `fake_stripe.server`: importing it gives that module, and
`python -m django_stripe.testing.server` runs `python -m fake_stripe` (the same options)."""

import sys

import fake_stripe.server

if __name__ == "__main__":
    fake_stripe.server.main()
else:
    sys.modules[__name__] = fake_stripe.server
