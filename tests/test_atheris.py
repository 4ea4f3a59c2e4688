"""Coverage-guided fuzzing (atheris) of the parsers that take untrusted bytes, bounded for CI.

Every harness in tests/fuzz/ (fuzz_<target>.py) runs in a process of its own — libFuzzer owns
it and stops at the first crash — all at the same time, for ATHERIS_SECONDS each (default 20).
Each first replays its whole corpus, tests/fuzz/corpus/<target>/: seeds made from real content
and regress-* reproducers of every bug found so far, then mutates. A crash fails the target's
test with the input's repr, the Python traceback and the commands to reproduce and to pin it.

A longer hunt: ATHERIS_SECONDS=300 .venv/bin/python -m pytest -p no:cacheprovider tests/test_atheris.py
The harnesses need no database, so they run on the SQLite leg of CI only.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).parent / "fuzz"
TARGETS = sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py"))
SECONDS = int(os.environ.get("ATHERIS_SECONDS", "20"))

pytestmark = [
    pytest.mark.atheris,
    pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                       reason="atheris is not installed (dev extra; CPython 3.11 on x86_64 Linux only)"),
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                       reason="the atheris harnesses use no database: they run once, on the SQLite leg"),
]


@pytest.fixture(scope="module")
def hunts(request, tmp_path_factory):
    """Start every selected harness at once (libFuzzer is single-threaded: the cores share the load)."""
    selected = sorted({item.callspec.params["target"] for item in request.session.items
                       if item.module is request.module and hasattr(item, "callspec")})
    started = {}
    for target in selected:
        work = tmp_path_factory.mktemp(f"atheris-{target}")
        (work / "corpus").mkdir()
        log = (work / "output.txt").open("wb")
        # New inputs go to the first corpus folder (a temporary one); the repository's is only read.
        command = [sys.executable, str(FUZZ / f"fuzz_{target}.py"), str(work / "corpus"), str(FUZZ / "corpus" / target),
                   f"-max_total_time={SECONDS}", "-timeout=10", "-rss_limit_mb=2048", f"-artifact_prefix={work}/"]
        started[target] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=FUZZ.parents[1]),
                           work, log)
    yield started
    for process, _, log in started.values():
        if process.poll() is None:
            process.kill()
        log.close()


@pytest.mark.parametrize("target", TARGETS)
def test_harness_finds_no_crash(hunts, target):
    process, work, log = hunts[target]
    try:
        code = process.wait(timeout=SECONDS + 180)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"fuzz_{target}.py did not stop after {SECONDS} s of fuzzing")
    log.flush()
    output = (work / "output.txt").read_text(errors="replace")
    artifacts = sorted(p for p in work.iterdir() if re.match(r"(crash|timeout|oom|leak|slow-unit)-", p.name))
    if code == 0 and not artifacts:
        assert re.search(r"^Done \d+ runs", output, re.M), output[-3000:]
        return
    pytest.fail(_report(target, code, output, artifacts), pytrace=False)


def _report(target: str, code: int, output: str, artifacts: list[Path]) -> str:
    """What a failing harness found, with everything needed to reproduce and pin it."""
    lines = [f"fuzz_{target}.py stopped with exit code {code}."]
    found = re.search(r"=== Uncaught Python exception: ===\n(.*?)(?:\n==\d+== |\Z)", output, re.S)
    lines.append(found.group(1).strip() if found else output[-4000:])
    for artifact in artifacts:
        data = artifact.read_bytes()
        shown = repr(data) if len(data) <= 4000 else repr(data[:4000]) + f"… ({len(data)} bytes)"
        lines += [f"\ninput {artifact}:", shown,
                  f"reproduce: .venv/bin/python tests/fuzz/fuzz_{target}.py {artifact}",
                  f"once fixed, pin it: cp {artifact} tests/fuzz/corpus/{target}/regress-<what-it-was>"]
    return "\n".join(lines)
