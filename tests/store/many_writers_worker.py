"""One of the processes of test_many_writers.py: writes RUNS six-step runs to a store.

python many_writers_worker.py STORE_URL WORKER RUNS
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sample_runs import six_step_run

from seamline.store import open_store

CONCURRENT_RUNS = 8


async def main(url: str, worker: int, runs: int) -> None:
    store = await open_store(url)
    limit = asyncio.Semaphore(CONCURRENT_RUNS)

    async def run(n: int) -> None:
        async with limit:
            for batch in six_step_run(n):
                await store.append(f"w{worker}-r{n}", batch)
                await asyncio.sleep(0)

    start = time.perf_counter()
    try:
        await asyncio.gather(*(run(n) for n in range(runs)))
    finally:
        await store.close()
    print(f"worker {worker}: {runs} runs in {time.perf_counter() - start:.2f}s")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
