"""Persistence: SQLAlchemy 2 tables, repositories, engines and Alembic migrations."""
