"""The capability interface: one request in, one validated artifact (or the reason why not) out.

Every model, remote or local, implements `Model.generate()`. A reply whose output did not
validate carries `output=None` and the validation error, so the seam's gate policy can retry
with that error as feedback; only transport failures raise (`ModelCallFailed`).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ValidationError

from seamline.exceptions import ModelCallFailed

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Model",
    "ModelCallFailed",
    "ModelReply",
    "ModelRequest",
    "get_model",
    "validate_output",
]

T = TypeVar("T", bound=BaseModel)

# True while seamline traces the run making a call (`seamline.otel`): every call it makes
# is then one `chat` span of seamline's, so pydantic-ai's own instrumentation (when it is
# on) is left out of seamline's calls instead of reporting each of them a second time.
traced_by_seamline: ContextVar[bool] = ContextVar("seamline_traced_by_seamline", default=False)


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """Exactly what a step asked a model for. Recorded in the run log and compared on replay.

    Attributes:
        model: The model string, e.g. `"local"` or `"openai:gpt-4o-mini"`.
        prompt: The user prompt, gate feedback already appended.
        system: The system prompt, if any.
        output_schema: The JSON schema of the artifact type (`output_type.model_json_schema()`).
        examples: Few-shot examples as (user text, assistant JSON) pairs, sent as earlier chat
            turns. Kept out of the system prompt on purpose: small models copy values from it.
        max_tokens: A cap on output tokens; None uses the provider's configured default.
        temperature: The sampling temperature for this call; None uses the model's
            configured one. Set by a consensus gate's samples (`sl.agree`).
        seed: The sampling seed for this call; None uses the model's configured one.
    """

    model: str
    prompt: str
    system: str | None
    output_schema: dict[str, Any]
    examples: tuple[tuple[str, str], ...] = ()
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None

    def to_record(self) -> dict[str, Any]:
        """A JSON-able dict holding every field."""
        return {
            "model": self.model,
            "prompt": self.prompt,
            "system": self.system,
            "output_schema": self.output_schema,
            "examples": [[user, assistant] for user, assistant in self.examples],
            "max_tokens": self.max_tokens,
        } | self._sampling()

    def _sampling(self) -> dict[str, Any]:
        # Only when set, so a request made without them records (and replays) as before.
        sampling: dict[str, Any] = {}
        if self.temperature is not None:
            sampling["temperature"] = self.temperature
        if self.seed is not None:
            sampling["seed"] = self.seed
        return sampling

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ModelRequest:
        """The request `to_record()` described."""
        return cls(
            model=record["model"],
            prompt=record["prompt"],
            system=record.get("system"),
            output_schema=dict(record["output_schema"]),
            examples=tuple((user, assistant) for user, assistant in record.get("examples", ())),
            max_tokens=record.get("max_tokens"),
            temperature=record.get("temperature"),
            seed=record.get("seed"),
        )


@dataclass(frozen=True, slots=True)
class ModelReply(Generic[T]):
    """What a model call produced.

    Attributes:
        output: The validated artifact; None when the model's output did not validate.
        error: Why the output did not validate, naming the bad field; None on success.
        response: The provider's response, normalized and JSON-able, for the run log.
        raw_output: The model's output text (or tool-call arguments) before validation.
            Replay validates this again instead of calling the model.
        input_tokens: Prompt tokens billed.
        output_tokens: Completion tokens billed.
        cost_usd: Priced by the configured `PriceTable`.
        seconds: Wall time of the call, retries included, queueing excluded.
    """

    output: T | None
    error: str | None
    response: dict[str, Any]
    raw_output: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when `output` holds a validated artifact."""
        return self.output is not None


@runtime_checkable
class Model(Protocol):
    """Anything that turns a `ModelRequest` into a `ModelReply`."""

    name: str

    async def generate(self, output_type: type[T], request: ModelRequest) -> ModelReply[T]:
        """Ask the model for one `output_type` artifact. Malformed output never raises."""
        ...


_FENCE = re.compile(r"^\s*```[\w-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def validate_output(
    output_type: type[T],
    raw_output: str | None,
    *,
    truncated: bool = False,
) -> tuple[T | None, str | None]:
    """Validate a model's raw output against `output_type`.

    Returns:
        `(artifact, None)`, or `(None, error)` where the error names each bad field, in words a
        model can act on when it is fed back as the next attempt's feedback.
    """
    if raw_output is None or not raw_output.strip():
        if truncated:
            return None, "the model used up its token limit before any output (raise max_tokens)"
        return None, "the model returned no output; reply with one JSON object matching the schema"
    text = raw_output
    if match := _FENCE.match(text):
        text = match.group(1)
    try:
        return output_type.model_validate_json(text), None
    except ValidationError as e:
        error = describe_validation(e, output_type.__name__)
    if truncated:
        error = (
            "the output was cut off at the token limit (raise max_tokens, or ask for less); "
            + error
        )
    return None, error


def describe_validation(error: ValidationError, type_name: str | None = None) -> str:
    """A validation error in words a model (or a person) can act on, naming each bad field."""
    problems: list[str] = []
    for err in error.errors(include_url=False):
        if err["type"] == "json_invalid":
            problems.append(f"the output is not valid JSON ({err['ctx'].get('error', err['msg'])})")
            continue
        where = ".".join(str(part) for part in err["loc"]) or "(the whole object)"
        problem = f"{where}: {err['msg']}"
        if err["type"] != "missing":
            problem += f" (got {_short(err.get('input'))})"
        problems.append(problem)
    name = type_name or error.title
    return f"output is not a valid {name}: " + "; ".join(problems)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def get_model(spec: str | Model) -> Model:
    """Resolve a model string (`"local"`, `"openai:gpt-4o-mini"`, ...); a `Model` passes through.

    Models are built once per process and configuration; see `seamline.models.registry`.

    Raises:
        ConfigError: unknown provider, missing API key or base URL, or the local model's
            packages are not installed. The message says what to set or install.
    """
    from seamline.models.registry import resolve

    return resolve(spec)


OUTPUT_TOOL = "final_result"
"""The tool a model calls to give its answer, when output comes as a tool call."""


def without_output(record: dict[str, Any], raw: str | None) -> dict[str, Any]:
    """A model response as the run log records it: the output its parts carry is the
    ModelCalled's `raw_output` already, so it is kept there only (a 10 MB answer is not
    stored twice), and `output_in` says where it went."""
    if raw is None:
        return record
    for part in record.get("parts", ()):
        kind = part.get("part_kind")
        if kind == "text":
            part["content"] = None
        elif kind == "tool-call" and part.get("tool_name") == OUTPUT_TOOL:
            part["args"] = None
    record["output_in"] = "raw_output"
    return record
