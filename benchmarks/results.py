"""Where a benchmark writes its figures for `make bench` (benchmarks/run.py) to collect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit(path: str | None, figures: dict[str, Any]) -> None:
    """Write `figures` as JSON to `path` (the `--json` option of every benchmark), if one was given."""
    if path:
        Path(path).write_text(json.dumps(figures, indent=1, default=str))
