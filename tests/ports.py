"""Free TCP ports on 127.0.0.1 for the servers the tests start, from this worker's own range (tests/isolation.py)."""

from __future__ import annotations

import itertools
import socket

from tests.isolation import port_range

# Ports are handed out in turn, so that one just handed to a child that has not bound it yet is not handed again.
_candidates = itertools.cycle(port_range())


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on, all different."""
    ports: list[int] = []
    for port in itertools.islice(_candidates, len(port_range())):
        if _bindable(port):
            ports.append(port)
            if len(ports) == count:
                return ports
    raise OSError(f"fewer than {count} free ports in {port_range()}")


def free_port() -> int:
    return free_ports(1)[0]


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
