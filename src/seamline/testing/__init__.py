"""Test helpers, at the model boundary: a scripted model, a seeded fault injector, and a
pytest plugin whose autouse guard fails any test that reaches a real model.

```python
# conftest.py
pytest_plugins = ["seamline.testing.pytest_plugin"]
```
"""

from seamline.testing.faults import MARK, FaultInjector, mark_corrupted
from seamline.testing.guard import allow_real_models
from seamline.testing.regression import assert_replays
from seamline.testing.scripted import AgentTurn, Answer, ScriptedModel, ToolCall

__all__ = [
    "MARK",
    "AgentTurn",
    "Answer",
    "FaultInjector",
    "ScriptedModel",
    "ToolCall",
    "allow_real_models",
    "assert_replays",
    "mark_corrupted",
]
