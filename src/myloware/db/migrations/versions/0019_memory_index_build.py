"""mem_docs: the memory index rebuilt with a denser graph (m 24, ef_construction 128)

The HNSW index over every tenant's memory docs was built with pgvector's defaults (m = 16,
ef_construction = 64). On the scale benchmark's data — tenants whose documents gather in
clusters of up to ~20,000 at almost one distance — its graph, not the search's
``hnsw.ef_search``, limited recall: at 1M documents 0.91–0.93 for the 30 % and 9 % tenants,
and a larger ``ef_search`` bought almost nothing (docs/benchmarks.md). Measured on the same
100k documents (mean recall of a search by id, 60 / 30 / 9 % tenants): the defaults 0.977 /
0.948 / 0.964; ef_construction 128 0.987 / 0.974 / 0.992; m 24 with it 0.993 / 0.986 /
0.997, for about twice the build time (57 → 120 s) and the same size on disk.

The new index is built next to the old one without blocking writes (``CONCURRENTLY``), then
takes its name: searches use one or the other throughout (unless an earlier run of this
migration died between the drop and the rename: then none until the rebuild is done). At a
million docs give the build memory — ``PGOPTIONS='-c maintenance_work_mem=4GB' myloware
migrate`` (``myloware up`` migrates at start too: the same variable applies) — a graph that
does not fit ``maintenance_work_mem`` is built on disk, many times slower (docs/memory.md).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 23:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_mem_docs_embedding_hnsw"
BUILDING = f"{NAME}_building"


def _rebuild(options: str) -> None:
    """Build the index with ``options`` beside the old one, then swap the names."""
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {BUILDING}")  # a build that failed
        op.execute(
            f"CREATE INDEX CONCURRENTLY {BUILDING} ON mem_docs "
            f"USING hnsw (embedding vector_cosine_ops) {options}"
        )
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
        op.execute(f"ALTER INDEX {BUILDING} RENAME TO {NAME}")


def upgrade() -> None:
    _rebuild("WITH (m = 24, ef_construction = 128)")


def downgrade() -> None:
    _rebuild("")
