"""Live updates: the watcher tells what changed in the store, and the event streams."""

from __future__ import annotations

import asyncio

from claims import DOC, build, read_right
from served import serve

from seamline.store import MemoryStore, RunStore
from seamline.web.live import Watcher, run_stream, stream


async def test_the_watcher_tells_new_approvals_and_status_changes_once() -> None:
    store = MemoryStore()
    await build().run({"doc": DOC}, store=store)  # before the watcher: old news
    watcher = Watcher(store)
    queue = watcher.subscribe()
    await watcher.poll()
    assert queue.empty()
    result = await build().run({"doc": DOC}, store=store)
    await watcher.poll()
    await watcher.poll()  # a second look finds nothing new
    told = [queue.get_nowait() for _ in range(queue.qsize())]
    kinds = [(m["event"], m["data"].get("status") or m["data"].get("reason")) for m in told]
    assert kinds == [("approval", "escalation"), ("run", "needs_review")]
    assert {m["data"]["run_id"] for m in told} == {result.run_id}
    watcher.unsubscribe(queue)


async def test_the_store_stream_sends_events_and_ends_when_the_server_stops() -> None:
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    stopping = asyncio.Event()
    chunks: list[str] = []

    async def read() -> None:
        async for chunk in stream(queue, stopping, heartbeat=0.05):
            chunks.append(chunk)

    reading = asyncio.create_task(read())
    await queue.put({"event": "run", "data": {"run_id": "r"}})
    await asyncio.sleep(0.12)
    stopping.set()
    await asyncio.wait_for(reading, 2)
    assert chunks[0] == 'event: run\ndata: {"run_id": "r"}\n\n'
    assert ": keep-alive\n\n" in chunks[1:]


async def test_a_run_stream_follows_its_run_until_it_is_final() -> None:
    store = MemoryStore()
    pipe = build(reader=read_right, approval=False)
    result = await pipe.run({"doc": DOC}, store=store)
    got = [chunk async for chunk in run_stream(store, result.run_id, asyncio.Event())]
    events = len(await store.load(result.run_id))
    assert got == [f'event: progress\ndata: {{"events": {events}, "status": "succeeded"}}\n\n']


async def test_the_pages_stream_over_http(sqlite_store: RunStore) -> None:
    async with serve(sqlite_store, [build()]) as s, s.client() as c, c.stream("GET", "/api/events") as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = answer.aiter_lines()
        assert await anext(lines) == "retry: 2000"
        await build().run({"doc": DOC}, store=sqlite_store)
        seen: list[str] = []
        async with asyncio.timeout(20):
            async for line in lines:
                seen.append(line)
                if line == "event: run":
                    break
        assert "event: approval" in seen
