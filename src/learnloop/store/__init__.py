"""Persistence: SQLAlchemy 2 on SQLite (default) or PostgreSQL, migrated with Alembic."""
