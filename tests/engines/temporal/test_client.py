"""Waiting on a run's workflow: a long poll that gives up is not the run failing."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from seamline.engines.temporal.client import _failed
from seamline.exceptions import ConfigError


async def _done(error: BaseException | None) -> asyncio.Future[object]:
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    if error is None:
        future.set_result({"status": "succeeded"})
    else:
        future.set_exception(error)
    return future


async def test_a_finished_workflow_is_read_from_the_store() -> None:
    assert _failed("r1", await _done(None)) is False


@pytest.mark.parametrize("status", [RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNAVAILABLE])
async def test_a_long_poll_that_gave_up_is_polled_again(status: RPCStatusCode) -> None:
    error = RPCError("context deadline exceeded", status, b"")
    assert _failed("r1", await _done(error)) is True


async def test_a_failed_workflow_is_an_error_naming_the_run() -> None:
    error = WorkflowFailureError(cause=ApplicationError("boom"))
    with pytest.raises(ConfigError, match="the workflow of run 'r1' failed: boom"):
        _failed("r1", await _done(error))


async def test_another_rpc_error_is_not_waited_out() -> None:
    error = RPCError("permission denied", RPCStatusCode.PERMISSION_DENIED, b"")
    with pytest.raises(ConfigError, match="waiting on the workflow of run 'r1'"):
        _failed("r1", await _done(error))
