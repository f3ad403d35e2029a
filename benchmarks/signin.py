"""Sign-in: what an argon2 password check costs, and that it leaves the event loop free.

The local accounts' hashes (argon2id, argon2-cffi's RFC 9106 low-memory parameters) are
made and checked as the sign-in does: a right password, a wrong one, and an unknown
username (checked against a dummy hash, so that its answer takes as long). Reported: the
milliseconds of each (p50/p95), how the unknown name's p50 compares with the wrong
password's, and the event loop's longest stall (a 10 ms ticker) while ``concurrent``
checks run in threads as ``services.accounts.check_sign_in`` runs them.

``python -m benchmarks.signin [--smoke] [--rounds N]``
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _report
from myloware.auth.passwords import check_password, hash_password

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class SigninConfig:
    rounds: int = 30
    concurrent: int = 4


SMOKE = SigninConfig(rounds=3, concurrent=2)


def _timed(work: Callable[[], object], rounds: int) -> dict[str, float]:
    work()  # warm-up
    took = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        work()
        took.append((time.perf_counter() - t0) * 1000)
    return {k: round(v, 1) for k, v in _report.percentiles(took).items()}


async def _loop_stall_ms(stored: str, concurrent: int) -> float:
    """The longest gap between ticks of a 10 ms ticker while checks run in threads."""
    longest = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            longest = max(longest, (now - last) * 1000 - 10)
            last = now

    tick = asyncio.create_task(ticker())
    await asyncio.gather(
        *(asyncio.to_thread(check_password, stored, "wrong password!!") for _ in range(concurrent))
    )
    done.set()
    await tick
    return round(max(longest, 0.0), 1)


def run(config: SigninConfig, *, smoke: bool) -> dict[str, Any]:
    stored = hash_password(PASSWORD)
    ms = {
        "hash": _timed(lambda: hash_password(PASSWORD), config.rounds),
        "right_password": _timed(lambda: check_password(stored, PASSWORD), config.rounds),
        "wrong_password": _timed(lambda: check_password(stored, "wrong password!!"), config.rounds),
        "unknown_username": _timed(lambda: check_password(None, "wrong password!!"), config.rounds),
    }
    return {
        "meta": _report.meta("signin", smoke=smoke),
        "config": asdict(config),
        "hash_prefix": "$".join(stored.split("$")[:4]),  # $argon2id$v=19$m=…,t=…,p=…
        "ms": ms,
        "unknown_vs_wrong_p50": round(
            ms["unknown_username"]["p50"] / ms["wrong_password"]["p50"], 2
        ),
        "loop_stall_ms": asyncio.run(_loop_stall_ms(stored, config.concurrent)),
    }


def figures(result: dict[str, Any]) -> str:
    ms = result["ms"]
    return (
        f"argon2id check p50 {ms['wrong_password']['p50']} ms (p95 {ms['wrong_password']['p95']}), "
        f"hash p50 {ms['hash']['p50']} ms; unknown name / wrong password p50 "
        f"{result['unknown_vs_wrong_p50']}; event loop's longest stall with "
        f"{result['config']['concurrent']} checks running: {result['loop_stall_ms']} ms"
    )


def main(argv: list[str] | None = None) -> int:
    return _report.rounds_main(argv, __doc__, (SMOKE, SigninConfig()), run, figures)


if __name__ == "__main__":
    sys.exit(main())
