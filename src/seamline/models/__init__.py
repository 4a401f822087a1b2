"""The capability layer: any model behind one small interface.

```python
from seamline.models import ModelRequest, get_model

model = get_model("local")  # or "openai:gpt-4o-mini", "anthropic:...", "google:...", "ollama:..."
reply = await model.generate(Claim, ModelRequest(
    model="local",
    prompt="Extract the claim from: ...",
    system=None,
    output_schema=Claim.model_json_schema(),
))
reply.output  # a validated Claim, or None with the reason in reply.error
```
"""

from seamline.models.base import (
    Model,
    ModelCallFailed,
    ModelReply,
    ModelRequest,
    get_model,
    validate_output,
)
from seamline.models.bounds import max_tokens_for
from seamline.models.config import (
    LocalModelConfig,
    ModelConfig,
    ProviderConfig,
    configure,
    get_config,
    load_config,
)
from seamline.models.prefix_cache import PrefixCacheWarning
from seamline.models.pricing import DEFAULT_PRICES, Price, PriceTable

__all__ = [
    "DEFAULT_PRICES",
    "LocalModelConfig",
    "Model",
    "ModelCallFailed",
    "ModelConfig",
    "ModelReply",
    "ModelRequest",
    "PrefixCacheWarning",
    "Price",
    "PriceTable",
    "ProviderConfig",
    "configure",
    "get_config",
    "get_model",
    "load_config",
    "max_tokens_for",
    "validate_output",
]
