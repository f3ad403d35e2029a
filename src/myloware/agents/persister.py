"""Persister: the record as a new version of the item's record, once — a retried Persister
with the same content finds its version written and writes nothing."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from temporalio import activity

from myloware.agents.deps import AgentDeps
from myloware.agents.names import AgentName
from myloware.contracts import PersistInput, PersistOutput
from myloware.db import hot_sql
from myloware.db.direct import transaction
from myloware.events.catalogue import EventType, RecordPersisted
from myloware.events.outbox import outbox_row


def content_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


class Persister:
    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps

    @activity.defn(name=AgentName.PERSISTER)
    async def run(self, inp: PersistInput) -> PersistOutput:
        ref, record = inp.item, inp.record
        values = record.values()
        digest = content_hash({"values": values, "source": inp.source})
        async with transaction(self.deps.engine) as pg:
            current = await hot_sql.lock_record(pg, ref.work_item_id)
            if current is None:
                record_id, version = uuid.uuid4(), 1
            else:
                record_id, latest, latest_hash = current
                if latest_hash == digest:  # a retried Persister: already written
                    return PersistOutput(record_id=record_id, version=latest, created=False)
                version = latest + 1
            await hot_sql.write_record(
                pg,
                record_id=record_id,
                version=version,
                tenant_id=ref.tenant_id,
                item_id=ref.work_item_id,
                doc_type=record.document_type.value,
                data=values,
                canonical=record.model_dump(mode="json"),
                content_hash=digest,
                source=inp.source,
                event=outbox_row(
                    EventType.RECORD_PERSISTED,
                    RecordPersisted(record_id=record_id, version=version),
                    tenant_id=ref.tenant_id,
                    aggregate_id=ref.work_item_id,
                ),
            )
        return PersistOutput(record_id=record_id, version=version, created=True)
