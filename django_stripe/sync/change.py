"""What the guarded upsert just wrote for one object, as handed to what follows the write (a subscription's
items, sync/items.py): a module of its own so that the upsert and its followers both import it, not each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .mappers import Payload


@dataclass(frozen=True)
class Change:
    """What was just written for one object; `payload` is None when only the tombstone flag moved."""

    row_id: str
    columns: dict[str, Any]
    payload: Payload | None
    synced_at: datetime
