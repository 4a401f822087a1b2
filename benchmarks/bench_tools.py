"""Tool calls through seamline against the MCP SDK called directly, and the ledger example.

    python benchmarks/bench_tools.py [--calls 200] [--example-store sqlite:///ledger-eval.db]

1. MCP server start (spawn, handshake, tools/list) for the servers the tests use.
2. Per tool call, server-everything's `echo` over stdio and over streamable HTTP:
   - floor: `client.call_tool` of the official SDK on the same connection;
   - seamline's MCP call (`seamline.mcp.toolset.call`: timeout, errors, result);
   - whole runs of an agent step making `--calls-per-run` calls, then answering
     (pydantic-ai's loop on a scripted model; every turn and call recorded and
     budgeted): their time per call, over the floor. This includes a model turn per
     call and the run's own cost, so it is an upper bound of the per-call overhead.
3. With --example-store: the ledger example's runs in that store (an eval run with
   `--gates both`): model turns, tool calls and model calls per task, per mode.

Needs `npm ci --prefix tests/protocol/node` (server-everything) and the `mcp` extra.
Figures are medians of repeats in this one process, floor and variant interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel

import seamline as sl
import seamline.mcp
from seamline.mcp.pool import connect
from seamline.mcp.servers import make_server
from seamline.mcp.toolset import call
from seamline.testing import ScriptedModel, ToolCall

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = ROOT / "tests" / "protocol" / "node" / "node_modules" / ".bin"
VENV_BIN = Path(sys.executable).parent


class Ask(BaseModel):
    text: str


class Done(BaseModel):
    text: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_times(repeats: int) -> dict[str, float]:
    servers = {
        "time (Python, stdio)": [str(VENV_BIN / "mcp-server-time")],
        "git (Python, stdio)": [str(VENV_BIN / "mcp-server-git"), "--repository", str(ROOT)],
        "filesystem (Node, stdio)": [
            str(NODE_BIN / "mcp-server-filesystem"),
            str(ROOT / "examples"),
        ],
        "everything (Node, stdio)": [str(NODE_BIN / "mcp-server-everything")],
    }
    out = {}
    for label, command in servers.items():
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            await connect(make_server("s", command=command))
            samples.append(time.perf_counter() - started)
            await seamline.mcp.shutdown()
        out[label] = statistics.median(samples)
    return out


def agent_pipeline(server: sl.MCPServer, calls: int) -> sl.Pipeline:
    script = [ToolCall("every.echo", {"message": f"m{i}"}) for i in range(calls)] + [
        Done(text="ok")
    ]
    pipe = sl.Pipeline("bench", inputs={"ask": Ask})
    pipe._servers["every"] = server  # the same declaration (and connection) as the floor's

    @pipe.step(tools=["every.echo"])
    async def answer(ask: Ask, ctx: sl.StepContext) -> Done:
        return await ctx.agent(
            Done, ask.text, max_turns=calls + 1, model=ScriptedModel(list(script))
        )

    return pipe


async def per_call(
    server: sl.MCPServer, calls: int, repeats: int, per_run: int
) -> dict[str, float]:
    connection = await connect(server)
    client = connection.client
    pipe = agent_pipeline(server, per_run)
    await pipe.run({"ask": Ask(text="warm up")})
    runs = max(1, calls // per_run)
    floor, ours, agent = [], [], []
    clock = time.perf_counter
    for _ in range(repeats):
        # Interleaved call by call (and run by run), so a change of machine load hits both.
        direct = wrapped = whole = 0.0
        for _ in range(runs):
            for i in range(per_run):
                started = clock()
                await client.call_tool("echo", {"message": f"m{i}"})
                direct += clock() - started
                started = clock()
                await call(connection, "every.echo", "echo", {"message": f"m{i}"})
                wrapped += clock() - started
            started = clock()
            await pipe.run({"ask": Ask(text="echo")})
            whole += clock() - started
        n = runs * per_run
        floor.append(direct / n)
        ours.append(wrapped / n)
        agent.append(whole / n)
    f, o, a = (statistics.median(x) for x in (floor, ours, agent))
    return {"floor": f, "seamline call": o, "agent step": a}


async def example_numbers(store_url: str) -> None:
    from seamline.events import ModelCalled, RunStarted, ToolCalled

    store = await sl.open_store(store_url)
    try:
        per_mode: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for summary in await store.runs(pipeline="ledger"):
            events = await store.load(summary.run_id)
            started = events[0]
            assert isinstance(started, RunStarted)
            mode = str(started.options.get("gates"))
            numbers = per_mode[mode]
            numbers["turns"].append(
                sum(isinstance(e, ModelCalled) and e.purpose == "agent" for e in events)
            )
            numbers["model calls"].append(sum(isinstance(e, ModelCalled) for e in events))
            numbers["tool calls"].append(sum(isinstance(e, ToolCalled) for e in events))
            numbers["tool errors fed back"].append(
                sum(isinstance(e, ToolCalled) and e.outcome == "retry" for e in events)
            )
            numbers["succeeded"].append(summary.status is sl.RunStatus.SUCCEEDED)
        for mode, numbers in sorted(per_mode.items()):
            tasks = len(numbers["turns"])
            print(
                f"  {mode} ({tasks} tasks):",
                ", ".join(
                    f"{name} {sum(values) / tasks:.2f}/task"
                    for name, values in numbers.items()
                    if name != "succeeded"
                ),
                f"| runs that passed every gate: {sum(numbers['succeeded'])}/{tasks}",
            )
    finally:
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls-per-run", type=int, default=4, help="tool calls per agent step")
    parser.add_argument("--example-store", default=None)
    args = parser.parse_args()

    print("1. server start (spawn, handshake, tools/list), median of 3")
    for label, seconds in (await start_times(3)).items():
        print(f"  {label:28} {seconds * 1000:7.0f} ms")

    print(
        f"\n2. per tool call, server-everything echo, {args.calls} calls x {args.repeats}; "
        f"agent steps of {args.calls_per_run} calls and a final answer"
    )
    stdio = make_server("every", command=[str(NODE_BIN / "mcp-server-everything")])
    port = free_port()
    http_process = subprocess.Popen(  # noqa: ASYNC220 (started once, before timing)
        [str(NODE_BIN / "mcp-server-everything"), "streamableHttp"],
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert http_process.stderr is not None
        for line in http_process.stderr:
            if "listening" in line:
                break
        http = make_server("every", url=f"http://127.0.0.1:{port}/mcp")
        for label, server in (("stdio", stdio), ("HTTP", http)):
            r = await per_call(server, args.calls, args.repeats, args.calls_per_run)
            print(
                f"  {label:5}: SDK call {r['floor'] * 1e6:7.0f} µs | seamline call "
                f"+{(r['seamline call'] - r['floor']) * 1e6:5.0f} µs | agent step "
                f"+{(r['agent step'] - r['floor']) * 1e6:6.0f} µs per call over the SDK "
                "(its share of the step: model turns, recording, the run itself)"
            )
    finally:
        await seamline.mcp.shutdown()
        http_process.terminate()
        http_process.wait(timeout=10)
        if http_process.stderr is not None:
            http_process.stderr.close()

    if args.example_store:
        print(f"\n3. the ledger example's runs in {args.example_store}")
        await example_numbers(args.example_store)


if __name__ == "__main__":
    asyncio.run(main())
