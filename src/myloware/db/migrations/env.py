"""Alembic environment: runs migrations synchronously over psycopg 3."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import myloware.db.models  # noqa: F401  (registers every table)
from myloware.db.base import Base
from myloware.db.engine import to_sqlalchemy_url
from myloware.db.migrate import include_object

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = to_sqlalchemy_url(config.get_main_option("sqlalchemy.url") or "")
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(
            connection=connectable, target_metadata=target_metadata, include_object=include_object
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, include_object=include_object
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
