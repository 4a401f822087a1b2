"""A pipeline run in a child process by test_durability.py, to be killed and resumed.

Every step appends "<step> <event> <idempotency key>" to a side-effect file and fsyncs
it, so the test can count exactly what ran. `slow` hangs once (until the test kills
the process) when $HANG_ONCE names a file that does not exist yet.

    python durability_worker.py run STORE_URL RUN_ID SIDE_EFFECTS
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from pydantic import BaseModel

import seamline as sl


class Doc(BaseModel):
    text: str


SIDE_EFFECTS = Path(os.environ.get("SIDE_EFFECTS", "side_effects.log"))


def record(line: str) -> None:
    with SIDE_EFFECTS.open("a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


pipe = sl.Pipeline("durable", inputs={"doc": Doc})


@pipe.step
async def first(doc: Doc, ctx: sl.StepContext) -> Doc:
    record(f"first done {ctx.idempotency_key}")
    return Doc(text=doc.text + " 1")


@pipe.step
async def second(first: Doc, ctx: sl.StepContext) -> Doc:
    record(f"second done {ctx.idempotency_key}")
    return Doc(text=first.text + " 2")


@pipe.step
async def slow(second: Doc, ctx: sl.StepContext) -> Doc:
    record(f"slow started {ctx.idempotency_key}")
    if _first_time(os.environ.get("HANG_ONCE")):
        await asyncio.sleep(120)  # killed here
    record(f"slow done {ctx.idempotency_key}")
    return Doc(text=second.text + " 3")


def _first_time(marker: str | None) -> bool:
    """True once per marker file: the first run hangs, the resumed one does not."""
    if not marker or Path(marker).exists():
        return False
    Path(marker).touch()
    return True


@pipe.step
async def last(slow: Doc, ctx: sl.StepContext) -> Doc:
    record(f"last done {ctx.idempotency_key}")
    return Doc(text=slow.text + " 4")


async def main(command: str, store: str, run_id: str) -> None:
    if command == "run":
        await pipe.run({"doc": Doc(text="start")}, store=store, run_id=run_id)
    else:
        await pipe.resume(run_id, store=store)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
