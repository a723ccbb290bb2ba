"""The load of the webhook benchmark, a process of its own: signed deliveries POSTed over keep-alive HTTP.

    python benchmarks/load_webhooks.py --url http://127.0.0.1:8000/api/webhook/ --deliveries FILE --senders 8

FILE is JSON: a list of [body, Stripe-Signature header] pairs, signed by the caller shortly before. Prints
one JSON line: how many were sent, in how many seconds, and the statuses answered.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from collections import Counter
from urllib.parse import urlsplit


def send_all(url: str, deliveries: list[tuple[str, str]], senders: int) -> dict:
    target = urlsplit(url)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    shares = [deliveries[index::senders] for index in range(senders)]

    def sender(share: list[tuple[str, str]]) -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        seen: Counter[int] = Counter()
        for body, signature in share:
            headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
            connection.request("POST", target.path, body=body.encode(), headers=headers)
            response = connection.getresponse()
            response.read()
            seen[response.status] += 1
            if response.will_close:
                connection.close()
        connection.close()
        with lock:
            statuses.update(seen)

    threads = [threading.Thread(target=sender, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"sent": len(deliveries), "seconds": time.perf_counter() - started, "statuses": dict(statuses)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--deliveries", required=True)
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    with open(args.deliveries) as file:
        deliveries = [tuple(pair) for pair in json.load(file)]
    print(json.dumps(send_all(args.url, deliveries, args.senders)))


if __name__ == "__main__":
    main()
