"""Agent steps on real third-party MCP servers: allowlists at build time, connect time and
call time, the run log, replay with the servers stopped, errors fed back or failing the
attempt, a server dying mid-run, streamable HTTP, and one connection shared by runs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from pydantic import BaseModel
from tests.protocol.conftest import children, node_tool, python_tool

import seamline as sl
import seamline.mcp
from seamline.events import GateEvaluated, ModelCalled, StepErrored, ToolCalled
from seamline.testing import AgentTurn, ScriptedModel, ToolCall


class Ask(BaseModel):
    question: str


class Answer(BaseModel):
    text: str


def time_pipeline(model: ScriptedModel, tools: list[str] | None = None) -> sl.Pipeline:
    pipe = sl.Pipeline("clock", inputs={"ask": Ask}, model=model)
    pipe.mcp_server("time", command=[python_tool("mcp-server-time"), "--local-timezone", "UTC"])

    @pipe.step(tools=tools or ["time.get_current_time"])
    async def answer(ask: Ask, ctx: sl.StepContext) -> Answer:
        return await ctx.agent(Answer, ask.question, max_turns=4)

    return pipe


async def test_an_agent_calls_the_time_server_and_the_call_is_recorded() -> None:
    model = ScriptedModel(
        lambda turn: (
            ToolCall("time.get_current_time", {"timezone": "Europe/Paris"})
            if turn.turn == 1
            else Answer(text=f"it is {turn.results[0][1]['datetime']}")
        )
    )
    result = await time_pipeline(model).run({"ask": Ask(question="What time is it in Paris?")})
    (call,) = [e for e in result.events if isinstance(e, ToolCalled)]
    assert (call.tool, call.server, call.outcome) == ("time.get_current_time", "time", "ok")
    assert call.request == {"timezone": "Europe/Paris"}
    assert call.response["timezone"] == "Europe/Paris"  # structured content, schema-checked
    assert result["answer"].text == f"it is {call.response['datetime']}"
    first_turn = next(e for e in result.events if isinstance(e, ModelCalled))
    (offered,) = [d for d in first_turn.request["tool_definitions"] if d["kind"] == "function"]
    assert offered["name"] == "time_get_current_time" and offered["server"] == "time"


async def test_an_allowlist_naming_a_tool_the_server_lacks_fails_before_any_model_call() -> None:
    model = ScriptedModel([Answer(text="never")])
    pipe = time_pipeline(model, tools=["time.get_time"])
    with pytest.raises(
        sl.PipelineError, match=r"matches no tool.*\['convert_time', 'get_current_time'\]"
    ):
        await pipe.run({"ask": Ask(question="?")})
    assert model.requests == [] and model._positions == {}


async def test_a_disallowed_tool_is_refused_before_any_call(docs: Path) -> None:
    pipe = sl.Pipeline(
        "files",
        inputs={"ask": Ask},
        model=ScriptedModel(
            [
                ToolCall("fs.write_file", {"path": str(docs / "evil.txt"), "content": "x"}),
                ToolCall("fs.read_text_file", {"path": str(docs / "invoice-17.md")}),
                Answer(text="read it"),
            ]
        ),
    )
    pipe.mcp_server("fs", command=[node_tool("mcp-server-filesystem"), str(docs)])

    @pipe.step(tools=["fs.read_text_file", "fs.list_directory"])
    async def answer(ask: Ask, ctx: sl.StepContext) -> Answer:
        return await ctx.agent(Answer, ask.question)

    result = await pipe.run({"ask": Ask(question="Read the invoice")})
    assert not (docs / "evil.txt").exists()
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [c.tool for c in calls] == ["fs.read_text_file"]
    assert "1,234.50" in str(calls[0].response)
    offered = next(e for e in result.events if isinstance(e, ModelCalled)).request[
        "tool_definitions"
    ]
    assert sorted(d["tool"] for d in offered if d["kind"] == "function") == [
        "fs.list_directory",
        "fs.read_text_file",
    ]


async def test_a_recorded_run_on_three_servers_replays_with_the_servers_stopped(
    tmp_path: Path, docs: Path, scratch_repo: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    model = ScriptedModel(
        [
            [
                ToolCall("fs.read_text_file", {"path": str(docs / "invoice-17.md")}),
                ToolCall("time.get_current_time", {"timezone": "UTC"}),
            ],
            ToolCall("git.git_log", {"repo_path": str(scratch_repo), "max_count": 1}),
            Answer(text="ACME owes 1,234.50 EUR; ledger committed"),
        ]
    )
    pipe = sl.Pipeline("audit", inputs={"ask": Ask}, model=model)
    pipe.mcp_server("fs", command=[node_tool("mcp-server-filesystem"), str(docs)])
    pipe.mcp_server("time", command=[python_tool("mcp-server-time")])
    pipe.mcp_server(
        "git", command=[python_tool("mcp-server-git"), "--repository", str(scratch_repo)]
    )

    @pipe.step(tools=["fs.read_text_file", "time.get_current_time", "git.git_log"])
    async def answer(ask: Ask, ctx: sl.StepContext) -> Answer:
        return await ctx.agent(Answer, ask.question)

    first = await pipe.run({"ask": Ask(question="Audit invoice 17")}, store=store)
    tools = [e.tool for e in first.events if isinstance(e, ToolCalled)]
    assert sorted(tools) == ["fs.read_text_file", "git.git_log", "time.get_current_time"]
    assert "Ledger for November" in str(
        next(
            e for e in first.events if isinstance(e, ToolCalled) and e.tool == "git.git_log"
        ).response
    )

    await seamline.mcp.shutdown()
    assert children() == []
    replayed = await pipe.replay(first.run_id, store=store)
    assert replayed["answer"] == first["answer"]
    assert children() == [], "a replay starts no server"
    # The turn's calls run in parallel: a live run records each as it finishes, in
    # whichever order the servers answer; the replay answers them all at once.
    assert sorted(
        (e.tool, str(e.response)) for e in replayed.events if isinstance(e, ToolCalled)
    ) == sorted((e.tool, str(e.response)) for e in first.events if isinstance(e, ToolCalled))


async def test_a_tool_error_result_goes_back_to_the_model() -> None:
    def script(turn: AgentTurn) -> object:
        if turn.turn == 1:
            return ToolCall("time.get_current_time", {"timezone": "Mars/Olympus_Mons"})
        if turn.turn == 2:
            assert not turn.results[0][2] and "Invalid timezone" in str(turn.results[0][1])
            return ToolCall("time.get_current_time", {"timezone": "UTC"})
        return Answer(text="ok")

    result = await time_pipeline(ScriptedModel(script)).run({"ask": Ask(question="time on Mars?")})
    assert [e.outcome for e in result.events if isinstance(e, ToolCalled)] == ["retry", "ok"]


async def test_a_server_that_dies_mid_run_fails_the_attempt_and_the_ladder_proceeds() -> None:
    def script(turn: AgentTurn) -> object:
        if turn.turn == 1:
            return ToolCall("time.get_current_time", {"timezone": "UTC"})
        if turn.turn == 2 and not getattr(script, "killed", False):
            for pid in children("mcp-server-time"):  # the time server dies between two calls
                os.kill(pid, signal.SIGKILL)
            script.killed = True  # type: ignore[attr-defined]
            return ToolCall("time.get_current_time", {"timezone": "Asia/Tokyo"})
        return Answer(text="done")

    pipe = time_pipeline(ScriptedModel(script))
    pipe.gate("answer", sl.check("has text", lambda answer: bool(answer.text)), on_fail=sl.retry(1))
    result = await pipe.run({"ask": Ask(question="time?")})
    assert result.status is sl.RunStatus.SUCCEEDED
    (errored,) = [e for e in result.events if isinstance(e, StepErrored)]
    assert "MCP server 'time'" in errored.error and "gone" in errored.error
    verdicts = [e for e in result.events if isinstance(e, GateEvaluated)]
    assert [v.action for v in verdicts] == ["retry", "pass"]
    outcomes = [(e.attempt, e.outcome) for e in result.events if isinstance(e, ToolCalled)]
    assert outcomes == [(1, "ok"), (1, "failed"), (2, "ok")], "attempt 2 ran on a restarted server"


async def test_streamable_http_server(everything_http: str) -> None:
    pipe = sl.Pipeline(
        "echo",
        inputs={"ask": Ask},
        model=ScriptedModel(
            [ToolCall("every.echo", {"message": "hello over HTTP"}), Answer(text="echoed")]
        ),
    )
    pipe.mcp_server("every", url=everything_http)

    @pipe.step(tools=["every.echo", "every.get-sum"])
    async def answer(ask: Ask, ctx: sl.StepContext) -> Answer:
        return await ctx.agent(Answer, ask.question)

    result = await pipe.run({"ask": Ask(question="echo")})
    (call,) = [e for e in result.events if isinstance(e, ToolCalled)]
    assert call.tool == "every.echo" and "hello over HTTP" in str(call.response)


async def test_one_connection_serves_every_run_and_shutdown_stops_the_server() -> None:
    model = ScriptedModel(
        lambda turn: (
            ToolCall("time.get_current_time", {"timezone": "UTC"})
            if turn.turn == 1
            else Answer(text="t")
        )
    )
    pipe = time_pipeline(model)
    for _ in range(3):
        await pipe.run({"ask": Ask(question="time?")})
    (connection,) = seamline.mcp.pool.connections().values()
    assert connection.alive and len(children()) == 1
    await seamline.mcp.shutdown()
    assert children() == []


async def test_a_server_that_cannot_start_is_a_clear_config_error() -> None:
    pipe = sl.Pipeline("broken", inputs={"ask": Ask}, model=ScriptedModel([Answer(text="x")]))
    pipe.mcp_server(
        "git",
        command=[python_tool("mcp-server-git"), "--repository", "/nonexistent/repo"],
        startup_timeout=20,
    )

    @pipe.step(tools=["git.git_status"])
    async def answer(ask: Ask, ctx: sl.StepContext) -> Answer:
        return await ctx.agent(Answer, ask.question)

    with pytest.raises(sl.ConfigError, match=r"MCP server 'git' \(.*mcp-server-git"):
        await pipe.run({"ask": Ask(question="status")})


async def test_structured_content_is_checked_against_the_output_schema() -> None:
    """server-everything's get-structured-content declares an output schema; a valid
    result comes back as structured data."""
    pipe = sl.Pipeline(
        "weather",
        inputs={"ask": Ask},
        model=ScriptedModel(
            [ToolCall("every.get-structured-content", {"location": "Chicago"}), Answer(text="ok")]
        ),
    )
    pipe.mcp_server("every", command=[node_tool("mcp-server-everything")])

    @pipe.step(tools=["every.get-structured-content"])
    async def answer(ask: Ask, ctx: sl.StepContext) -> Answer:
        return await ctx.agent(Answer, ask.question)

    result = await pipe.run({"ask": Ask(question="weather")})
    (call,) = [e for e in result.events if isinstance(e, ToolCalled)]
    assert set(call.response) == {"temperature", "conditions", "humidity"}


async def test_a_result_that_breaks_the_tools_output_schema_fails_the_attempt() -> None:
    import sys

    pipe = sl.Pipeline(
        "weather",
        inputs={"ask": Ask},
        model=ScriptedModel([ToolCall("bad.weather", {"city": "Oslo"}), Answer(text="x")]),
    )
    bad_server = str(Path(__file__).parent / "bad_server.py")
    pipe.mcp_server("bad", command=[sys.executable, bad_server])

    @pipe.step(tools=["bad.weather"])
    async def answer(ask: Ask, ctx: sl.StepContext) -> Answer:
        return await ctx.agent(Answer, ask.question)

    with pytest.raises(
        sl.StepFailed, match=r"tool 'bad\.weather'.*(?i:invalid structured content)"
    ):
        await pipe.run({"ask": Ask(question="weather?")})
