"""Benchmark: CPU of one module page (the landing page of a launch) in this process.

    .venv/bin/python bench/module_page.py                 # care-cycle, en, 10 rounds of 100 pages
    .venv/bin/python bench/module_page.py --module leadership --lang nl --rounds 20

The tool's app on a throw-away SQLite file with the real courses loaded, pages fetched with Flask's
test client (no HTTP, no launch: an anonymous reader's page, which draws the same fixed parts and
skips the learner's progress). Prints process CPU per page, the fastest and the median round:
gunicorn, the network and the launch are left out, so two trees compared alternately in one
sitting show what a template or query change is worth where bench/launch.py's figures are lost in
the run-to-run noise. Asserts nothing about speed.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT, make_app, prepare_schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="care-cycle")
    parser.add_argument("--lang", default="en", choices=("en", "nl"))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pages", type=int, default=100, help="pages per round")
    parser.add_argument("--courses", type=Path, default=ROOT / "courses")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(f"sqlite:///{folder}/bench.sqlite3")
        prepare_schema(app, args.courses)
        client = app.test_client()
        url = f"/modules/{args.module}?lang={args.lang}"
        first = client.get(url)
        if first.status_code != 200:
            raise SystemExit(f"{url} answered {first.status_code}")
        for _ in range(10):                        # warm: templates compiled, content and parts kept
            client.get(url)
        rounds = []
        for _ in range(args.rounds):
            started = time.process_time()
            for _ in range(args.pages):
                client.get(url)
            rounds.append((time.process_time() - started) * 1000 / args.pages)
    print(f"module page {url}: {len(first.data) / 1024:.1f} kB; CPU ms per page over {args.rounds} rounds "
          f"of {args.pages}: fastest {min(rounds):.2f}, median {statistics.median(rounds):.2f}")


if __name__ == "__main__":
    main()
