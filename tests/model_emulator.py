"""A local server that speaks the OpenAI Chat Completions and Anthropic Messages wire protocols.

``with ModelEmulator() as emu:`` runs it on a thread of its own (so synchronous code, such as
the evaluation harness, can call it too). Point the SDKs at ``emu.openai_url`` and
``emu.anthropic_url``. Each request takes the next scripted :class:`Reply` (the last one
repeats); ``emu.requests`` keeps every request's path, headers and JSON body.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """``data``: the JSON object to answer with; ``text``: raw answer text instead (garbage);
    ``status``: an HTTP error instead; ``page``: an HTML page with status 200 instead of the
    API's JSON (a captive portal or proxy); ``delay_s``: wait first (timeouts);
    ``tool_calls``: (name, arguments) of the functions to call instead of an answer."""

    data: dict[str, Any] | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] | None = None
    text: str | None = None
    page: str | None = None
    status: int = 200
    delay_s: float = 0.0
    tokens_in: int = 120
    tokens_out: int = 40


@dataclass
class Seen:
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any]


@dataclass
class ModelEmulator:
    replies: list[Reply] = field(default_factory=lambda: [Reply(data={})])
    requests: list[Seen] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def __enter__(self) -> ModelEmulator:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("model emulator did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/v1/messages", self._anthropic)
        # a scripted slow answer still in flight at the end is cut off, not waited for
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _take(self, request: web.Request) -> Reply:
        body = await request.json()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(Seen(request.path, headers, body))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        return reply

    async def _openai(self, request: web.Request) -> web.Response:
        reply = await self._take(request)
        if reply.page is not None:
            return web.Response(text=reply.page, content_type="text/html")
        if reply.status != 200:
            error = {"message": f"emulated failure {reply.status}", "type": "server_error"}
            return web.json_response({"error": error}, status=reply.status)
        content = reply.text if reply.text is not None else json.dumps(reply.data)
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
        if reply.tool_calls:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": f"call_{len(self.requests)}_{n}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                for n, (name, arguments) in enumerate(reply.tool_calls)
            ]
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 1_764_000_000,
                "model": (await request.json())["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": reply.tokens_in,
                    "completion_tokens": reply.tokens_out,
                    "total_tokens": reply.tokens_in + reply.tokens_out,
                },
            }
        )

    async def _anthropic(self, request: web.Request) -> web.Response:
        reply = await self._take(request)
        if reply.page is not None:
            return web.Response(text=reply.page, content_type="text/html")
        if reply.status != 200:
            error = {"type": "api_error", "message": f"emulated failure {reply.status}"}
            return web.json_response({"type": "error", "error": error}, status=reply.status)
        body = await request.json()
        content: list[dict[str, Any]]
        if reply.text is not None:
            content = [{"type": "text", "text": reply.text}]
        elif reply.tool_calls:
            content = [
                {"type": "tool_use", "id": f"toolu_{len(self.requests)}_{n}", "name": name,
                 "input": arguments}
                for n, (name, arguments) in enumerate(reply.tool_calls)
            ]  # fmt: skip
        else:  # the forced tool, or (tool_choice "any") the answer tool, offered last
            tool = body["tool_choice"].get("name") or body["tools"][-1]["name"]
            content = [{"type": "tool_use", "id": "toolu_1", "name": tool, "input": reply.data}]
        return web.json_response(
            {
                "id": f"msg_{len(self.requests)}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": content,
                "stop_reason": "tool_use" if reply.text is None else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": reply.tokens_in, "output_tokens": reply.tokens_out},
            }
        )


def openai_settings(emu: ModelEmulator) -> dict[str, object]:
    """Settings overrides: the model extractor, its one provider the emulator's OpenAI API."""
    from pydantic import SecretStr

    return {
        "extractor": "model",
        "model_providers": ["openai"],
        "openai_api_key": SecretStr("sk-test"),
        "openai_base_url": emu.openai_url,
        "model_max_retries": 0,
    }
