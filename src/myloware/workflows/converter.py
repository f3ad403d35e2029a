"""The payload converter of every client, worker and replayer: pydantic JSON.

Our own values (MyloWare's pydantic models and dataclasses) are written exactly as
``temporalio.contrib.pydantic.pydantic_data_converter`` writes them — every field, set or
not — so every stored history decodes and replays as before, byte for byte. Every other value
(the OpenAI Agents SDK's, which Temporal's integration passes to and from its model activity)
is written without the fields nobody set, as the integration's own ``OpenAIPayloadConverter``
writes it: an SDK item written with its unset fields as ``null`` does not read back as the
next model call's input (``namespace: None`` is no string). Reading is pydantic's for both.

Why not the integration's converter for everything: leaving unset fields out of our own
models would drop a default list that code filled in place, and change every stored payload.
Why not register it on the client: ``OpenAIAgentsPlugin`` refuses any converter passed to a
client (even its own class, as temporalio 1.35 wraps payload converters), so the plugin goes
on the workers only (:mod:`myloware.agents.durable`).
"""

from __future__ import annotations

from typing import Any

import temporalio.api.common.v1
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, ToJsonOptions
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

OURS = "myloware."


def is_ours(value: Any) -> bool:
    """A value whose class is MyloWare's, or a list, tuple or dict holding one (written with
    every field, as always: a list of our models too)."""
    if type(value).__module__.startswith(OURS):
        return True
    if isinstance(value, list | tuple):
        return any(is_ours(item) for item in value)
    if isinstance(value, dict):
        return any(is_ours(item) for item in value.values())
    return False


class JSONConverter(PydanticJSONPlainPayloadConverter):
    """``json/plain``: ours as ``pydantic_data_converter``, the SDK's without unset fields."""

    def __init__(self) -> None:
        super().__init__()
        self._foreign = PydanticJSONPlainPayloadConverter(ToJsonOptions(exclude_unset=True))

    def to_payload(self, value: Any) -> temporalio.api.common.v1.Payload | None:
        if is_ours(value):
            return super().to_payload(value)
        return self._foreign.to_payload(value)


class PayloadConverter(CompositePayloadConverter):
    """Temporal's default encodings, with :class:`JSONConverter` for JSON."""

    def __init__(self) -> None:
        json_converter = JSONConverter()
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


DATA_CONVERTER = DataConverter(payload_converter_class=PayloadConverter)
