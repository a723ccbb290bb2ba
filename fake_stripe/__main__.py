"""`python -m fake_stripe`: the fake Stripe over HTTP (the options: `python -m fake_stripe --help`)."""

from .server import main

if __name__ == "__main__":
    main()
