"""Path templates whose id segment leaves the API's literal segments to their own routes.

OpenAPI resolves a concrete path before a templated one: ``PATCH /v1/connectors/email`` is
the ``/v1/connectors/email`` resource (POST only, so 405), not connector ``email`` of
``/v1/connectors/{connector_id}``. Starlette takes the first route that matches path and
method, so the templated route would take it (and answer 422: not a UUID). An id written
``{name:id}`` (see :func:`id_param`) matches any segment except the literal ones that sit
beside a template in this API, so such a request falls to its concrete route: 405 with
``Allow``. The OpenAPI document is unchanged (FastAPI drops the ``:id``).
"""

from __future__ import annotations

import re

from starlette.convertors import Convertor, register_url_convertor

#: The literal last segments that share a parent with an ``{…_id}`` segment:
#: ``/v1/work-orders/upload``, ``/v1/connectors/slack`` and ``/v1/connectors/email``.
LITERAL_SEGMENTS = ("upload", "slack", "email")


class IdConvertor(Convertor[str]):
    regex = f"(?!(?:{'|'.join(map(re.escape, LITERAL_SEGMENTS))})$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("id", IdConvertor())


def id_param(name: str) -> str:
    """The path segment ``{name:id}``: a resource id, never one of ``LITERAL_SEGMENTS``."""
    return "{" + name + ":id}"
