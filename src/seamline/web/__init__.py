"""`seamline ui`: the human layer in a browser, and the same over a JSON HTTP API.

- **Inbox**: pending approvals and escalations, filtered by pipeline, step, reason and
  age, paged by cursor; each shows the artifact, the gate's verdicts and feedback on
  every attempt, what the step read, and what each choice would do; approve, edit (a
  form generated from the artifact's type, validated before it is accepted), reject
  with a reason code and text, route back to an earlier step; batch approve. Every
  decision is bound to the fingerprint of what was shown (`sl.approval_fingerprint`).
- **Runs**: the list (status, pipeline, age, cost, pass), and a run's page: its graph,
  every unit's attempts with verdicts, feedback, diffs between attempts, model and tool
  calls with tokens, cost and latency, and every decision with who took it.
- **Reliability**: pass rate over time (shadow and gated, with intervals), per-seam
  numbers, cost per successful task, the eval reports.
- **Live**: server-sent events as runs progress and approvals arrive; **webhooks**,
  signed and retried (`seamline.web.webhooks`).
- **Security**: loopback by default, a token on everything, reviewer and viewer roles,
  CSRF on form posts (`seamline.web.auth`).

```python
from seamline.web import create_app
from seamline.web.auth import TokenBook

tokens, token = TokenBook.generated("ana")
app = create_app(store, [pipe], tokens)   # an ASGI app: uvicorn.run(app, port=8765)
```

Needs the `ui` extra: `pip install 'seamline[ui]'`.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
    import jinja2  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    from seamline.exceptions import ConfigError

    raise ConfigError("seamline ui needs the ui extra: pip install 'seamline[ui]'") from exc

from seamline.web.app import create_app, server

__all__ = ["create_app", "server"]
