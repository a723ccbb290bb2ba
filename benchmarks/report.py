"""The Markdown report and plots of a `make bench` run: every figure beside its baseline, as a ratio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display
import matplotlib.pyplot as plt  # noqa: E402


def write_report(figures: dict[str, Any], stem: Path) -> None:
    sections = [
        _webhooks(figures.get("webhooks"), stem),
        _djstripe(figures.get("djstripe")),
        _backfill(figures.get("backfill"), stem),
        _access(figures.get("access"), stem),
        _rest(figures.get("rest"), stem),
        _prune(figures.get("prune")),
        _usage(figures.get("usage")),
        _fake(figures.get("fake")),
    ]
    machine = figures.get("machine", {})
    loads = ", ".join(
        f"{name} {figures[name]['load_average_after'][0]:.1f}"
        for name in figures
        if "load_average_after" in figures[name]
    )
    header = (
        f"# Benchmark report {stem.name}\n\n{machine.get('cores')} cores, Python {machine.get('python')}. "
        f"Load average (1 min) after each benchmark: {loads}; figures taken under load are lower. "
        "Reproduce with `make bench`; the raw figures are in the JSON file beside this one.\n"
    )
    stem.with_suffix(".md").write_text(header + "\n".join(section for section in sections if section))


def _plot(stem: Path, name: str, draw) -> str:
    figure, axes = plt.subplots(figsize=(6, 3.6), dpi=110)
    draw(axes)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path = stem.parent / f"{stem.name}-{name}.png"
    figure.savefig(path)
    plt.close(figure)
    return f"![{name}]({path.name})\n"


def _webhooks(data: dict | None, stem: Path) -> str:
    if not data:
        return ""
    processes = sorted(data["applied_per_second_by_processes"], key=int)
    rates = [data["applied_per_second_by_processes"][p] for p in processes]
    floor = data["commit_floor_per_second"]

    def draw(axes):
        axes.plot([int(p) for p in processes], rates, marker="o", label="events applied/s (batches)")
        axes.axhline(floor, linestyle="--", color="grey", label="bare SQL floor (1 commit/event, 1 process)")
        axes.axhline(accepted, linestyle=":", color="tab:orange", label="endpoint, gunicorn (events accepted/s)")
        axes.set_xlabel("worker processes")
        axes.set_ylabel("events/s")
        axes.legend()

    accepted = data["accepted_per_second"]
    rows = "\n".join(f"| {p} | {r:,.0f} | {r / floor:.2f}x |" for p, r in zip(processes, rates, strict=True))
    return (
        f"\n## Webhook sync ({data['database']}, {data['events']} events)\n\n"
        f"Endpoint under gunicorn (verify + store, committed before the 200; loaded over HTTP from another "
        f"process): **{accepted:,.0f} events/s** ({accepted / floor:.2f}x the floor). SQL statements per applied "
        f"event, amortised over batches of {data['batch_size']}: {data['statements_per_event']:.2f}.\n\n"
        "| worker processes | events applied/s | vs bare SQL floor (one upsert + commit per event) |\n"
        f"| ---: | ---: | ---: |\n{rows}\n\nFloor: {floor:,.0f} commits/s.\n\n" + _plot(stem, "events", draw)
    )


def _djstripe(data: dict | None) -> str:
    if not data:
        return ""
    ours, theirs, ratios = data["ours"], data["djstripe"], data["ratios"]
    rows = "\n".join(
        f"| {name} | {r['apply_per_second']:,.0f} | {r['statements_per_event']:.1f} | {r['view_per_second']:,.0f} |"
        for name, r in (("django-stripe", ours), (f"dj-stripe {theirs['version']}", theirs))
    )
    ratio = (
        f"| ours / dj-stripe | {ratios['apply_per_second']:.1f}x | {ratios['statements_per_event']:.2f}x "
        f"| {ratios['view_per_second']:.1f}x |"
    )
    calls = ", ".join(f"`{endpoint}` {count:.2f}" for endpoint, count in theirs["api_calls_by_endpoint"].items())
    goal = "met" if ratios["apply_per_second"] >= 10 else "not met"
    return (
        f"\n## Beside dj-stripe ({data['database']}, {data['events']} events, one thread each)\n\n"
        "| library | events applied/s | statements/event | webhook view events/s |\n"
        f"| --- | ---: | ---: | ---: |\n{rows}\n{ratio}\n\nGoal, 10x dj-stripe's apply rate: {goal}. "
        f"dj-stripe called Stripe {theirs['api_calls_per_event']:.2f} times per event (the fake, on loopback: "
        f"{calls}). Its view applies the event before answering; ours stores it for the workers.\n"
    )


def _backfill(data: dict | None, stem: Path) -> str:
    if not data:
        return ""
    sizes = data["sizes"]
    counts = [row["size"] for row in sizes]
    ours = [row["sync"]["objects"] / row["sync"]["seconds"] for row in sizes]
    fake = [row["sdk"]["objects"] / row["sdk"]["seconds"] for row in sizes]
    memory = [row["sync"]["peak"] for row in sizes]

    def draw(axes):
        axes.plot(counts, ours, marker="o", label="backfill objects/s")
        axes.plot(counts, fake, marker="s", linestyle="--", label="fake alone through the SDK objects/s")
        axes.set_xscale("log")
        axes.set_xlabel("objects")
        axes.set_ylabel("objects/s")
        second = axes.twinx()
        second.plot(counts, memory, marker="^", color="tab:red", label="peak RSS MB")
        second.set_ylabel("peak RSS MB")
        second.set_ylim(0, max(memory) * 1.5)  # from zero: flat memory must look flat
        axes.set_ylim(0, max(ours + fake) * 1.4)
        axes.legend(loc="upper left", fontsize="small")
        second.legend(loc="upper right", fontsize="small")

    raw = [row["raw"]["objects"] / row["raw"]["seconds"] for row in sizes]
    rows = "\n".join(
        f"| {c:,} | {o:,.0f} | {f:,.0f} | {o / f:.2f}x | {r:,.0f} | {r / o:.2f}x | {m:.0f} | {m / memory[0]:.2f}x |"
        for c, o, f, r, m in zip(counts, ours, fake, raw, memory, strict=True)
    )
    return (
        f"\n## Backfill ({data['database']})\n\n"
        "| objects | backfill obj/s | fake alone (SDK) obj/s | ratio | raw pages obj/s | time vs raw pages "
        "| peak RSS MB | vs smallest |\n"
        f"| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n{rows}\n\n"
        + _latency(data.get("latency"))
        + _rate_limited(data.get("rate_limited"), data.get("resume"))
        + _plot(stem, "backfill", draw)
    )


def _latency(rows: list | None) -> str:
    """The same walk with every request delayed as Stripe's would be: the writes hide behind the fetches."""
    if not rows:
        return ""
    lines = "\n".join(
        f"| {row['size']:,} | {row['latency_ms']:.0f} | {row['raw']['seconds']:.2f} | {row['sync']['seconds']:.2f} "
        f"| {row['sync']['seconds'] / row['raw']['seconds']:.3f}x |"
        for row in rows
    )
    return (
        "| objects | latency per request ms | raw pages s | backfill s | backfill / raw pages |\n"
        f"| ---: | ---: | ---: | ---: | ---: |\n{lines}\n\n"
    )


def _rate_limited(rows: list | None, resumed: dict | None) -> str:
    """Issue 28: the backfill at the fake's rate limit, against its goal (0.8 x limit x 100 objects/s)."""
    text = ""
    if rows:
        lines = "\n".join(
            f"| {row['objects']:,} | {row['limit_per_second']:g} | {row['latency_ms']:.0f} "
            f"| {row['objects_per_second']:,.0f} | {0.8 * row['limit_per_second'] * 100:,.0f} "
            f"| {row['requests_429']:,} | {row['peak_rss_mb']:.0f} |"
            for row in rows
        )
        text += (
            "| objects | limit req/s | latency ms | backfill obj/s | goal obj/s | 429s | peak RSS MB |\n"
            f"| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n{lines}\n\n"
        )
    if resumed:
        text += (
            f"SIGKILLed after {resumed['killed_after_requests']:,} requests ({resumed['rows_at_kill']:,} rows), "
            f"resumed to {resumed['rows_after']:,} of {resumed['objects']:,}: missed {resumed['missed']}, "
            f"doubled {resumed['doubled']}.\n\n"
        )
    return text


def _access(data: dict | None, stem: Path) -> str:
    if not data:
        return ""
    results = data["results"]
    live = data["live_api"]["median_us"]
    counts = [row["subscriptions"] for row in results]
    ours = [row["ours"]["median_us"] for row in results]
    floor = [row["floor"]["median_us"] for row in results]

    def draw(axes):
        axes.plot(counts, ours, marker="o", label="is_subscribed (mirror)")
        axes.plot(counts, floor, marker="s", label="bare SQL floor")
        axes.axhline(live, linestyle="--", color="grey", label="live API (fake over loopback)")
        axes.set_xscale("log")
        axes.set_xlabel("subscriptions")
        axes.set_ylabel("median µs per check")
        axes.legend()

    rows = "\n".join(
        f"| {c:,} | {row['queries_per_call']} | {o:,.0f} | {f:,.0f} | {o / f:.2f}x | {live / o:.1f}x | {_cached(row)} |"
        for c, o, f, row in zip(counts, ours, floor, results, strict=True)
    )
    return (
        f"\n## Access checks ({data['database']})\n\n"
        "| subscriptions | queries/call | is_subscribed median µs | SQL floor µs | vs floor | live API is slower by "
        f"| cached, warm µs ({data.get('cache', 'cache')}) |\n"
        f"| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n{rows}\n\n"
        f"Live-API check (the original design, fake Stripe on loopback): median {live:,.0f} µs. "
        "The floor is the same question as a hand-written EXISTS on a raw cursor, "
        "timed call by call in alternation with ours.\n" + _entitlements(results) + "\n" + _plot(stem, "access", draw)
    )


def _cached(row: dict) -> str:
    cached = row.get("cached")
    return f"{cached['median_us']:,.0f} ({cached['queries_per_call']} queries)" if cached else "n/a"


def _entitlements(results: list[dict]) -> str:
    measured = [row for row in results if "entitlement" in row]
    if not measured:
        return ""
    rows = "\n".join(
        f"| {row['subscriptions']:,} | {row['entitlement']['queries_per_call']} "
        f"| {row['entitlement']['ours']['median_us']:,.0f} | {row['entitlement']['floor']['median_us']:,.0f} "
        f"| {row['entitlement']['ours']['median_us'] / row['entitlement']['floor']['median_us']:.2f}x |"
        for row in measured
    )
    return (
        "\n| customers | queries/call | has_entitlement median µs | SQL floor µs | vs floor |\n"
        f"| ---: | ---: | ---: | ---: | ---: |\n{rows}\n"
    )


def _rest(data: dict | None, stem: Path) -> str:
    if not data:
        return ""
    names = list(data["results"])
    results = data["results"]
    ours = [results[n]["mirror"]["requests_per_second"] for n in names]
    floor = [results[n].get("floor", {}).get("requests_per_second") for n in names]
    live = [results[n]["live_api"]["requests_per_second"] for n in names]

    def draw(axes):
        positions = range(len(names))
        axes.bar([p - 0.27 for p in positions], ours, width=0.27, label="from the mirror")
        axes.bar([p for p in positions], [f or 0 for f in floor], width=0.27, label="bare Django view (floor)")
        axes.bar([p + 0.27 for p in positions], live, width=0.27, label="calling Stripe (fake over HTTP)")
        axes.set_xticks(list(positions), names)
        axes.set_ylabel("requests/s (gunicorn, 2 workers)")
        axes.legend(fontsize="small")

    rows = "\n".join(
        f"| {n} | {_queries(results[n])} | {o:,.0f} | {_rate(f)} | {_ratio(o, f, 2)} | {lv:,.0f} | {_ratio(o, lv, 1)} |"
        for n, o, f, lv in zip(names, ours, floor, live, strict=True)
    )
    return (
        f"\n## REST API ({data['objects']:,} mirrored objects, {data['clients']} clients{_connections(data)})\n\n"
        "| list | queries/request (view's own) | mirror req/s | bare view req/s | mirror / bare | live-API req/s "
        "| mirror / live |\n"
        f"| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n{rows}\n\n"
        "The bare view is the floor: a plain Django function view answering the same JSON from the same rows "
        "(`benchmarks/bare_views.py`), behind the same middleware and session login.\n\n" + _plot(stem, "rest", draw)
    )


def _connections(data: dict) -> str:
    seconds = data.get("conn_max_age")
    if seconds is None:  # a run from before the option
        return ""
    return f", database connections kept {seconds} s" if seconds else ", a new database connection per request"


def _queries(row: dict) -> str:
    own = row.get("view_queries_per_request")
    return f"{row['queries_per_request']}" + (f" ({own})" if own is not None else "")


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _ratio(ours: float, baseline: float | None, digits: int) -> str:
    return "n/a" if not baseline else f"{ours / baseline:.{digits}f}x"


def _usage(data: dict | None) -> str:
    if not data:
        return ""
    ratio = data["reported_per_second"] / data["commit_floor_per_second"]
    goals = {
        "reports >= 0.8x the commit floor": ratio >= 0.8,
        "sent >= 5,000/s": data["sent_per_second"] >= 5000,
        "0 lost, 0 doubled": data["lost"] == data["doubled"] == 0,
    }
    met = ", ".join(f"{goal}: {'met' if ok else 'not met'}" for goal, ok in goals.items())
    return (
        f"\n## Usage reporting ({data['reports']:,} reports)\n\n"
        f"`report_usage` **{data['reported_per_second']:,}/s** beside the commit floor's "
        f"{data['commit_floor_per_second']:,}/s ({ratio:.2f}x); sent to the fake's v2 stream at "
        f"**{data['sent_per_second']:,}/s**; lost {data['lost']}, doubled {data['doubled']}. Goals: {met}.\n"
    )


def _prune(data: dict | None) -> str:
    if not data:
        return ""
    phases = "\n".join(
        f"| {name} | {p['deliveries']:,} | {p['median_ms']:.1f} | {p['p99_ms']:.1f} | {p['max_ms']:.1f} |"
        for name, p in (("before the prune", data["endpoint_before"]), ("during the prune", data["endpoint_during"]))
    )
    goal = "met" if data["rows_per_second"] >= 50_000 else "not met"
    return (
        f"\n## Retention ({data['database']}, a ledger of {data['rows']:,} rows)\n\n"
        f"`prune_events` deleted {data['deleted']:,} rows in {data['prune_seconds']:.1f} s: "
        f"**{data['rows_per_second']:,.0f} rows/s** (goal 50,000: {goal}), {data['batches']} batches of "
        f"{data['batch_size']:,}, the longest {data['longest_batch_seconds'] * 1000:.0f} ms. The webhook endpoint "
        "meanwhile (one sender, one delivery at a time):\n\n"
        "| endpoint | deliveries | median ms | p99 ms | max ms |\n"
        f"| --- | ---: | ---: | ---: | ---: |\n{phases}\n"
    )


def _fake(data: dict | None) -> str:
    if not data:
        return ""
    rows = "\n".join(
        f"| {name} | {r['sdk_in_process']:,.0f} | {r['sdk_over_http']:,.0f} | {r['raw_http']:,.0f} |"
        for name, r in data["throughput"].items()
    )
    lookups = ", ".join(f"{int(size):,} stored: {v['request']:.1f} µs" for size, v in data["lookup_us"].items())
    return (
        "\n## Fake Stripe\n\n| request | SDK in-process req/s | SDK over HTTP req/s | raw HTTP req/s |\n"
        f"| --- | ---: | ---: | ---: |\n{rows}\n\nLookup by id, whole request: {lookups}.\n"
    )
