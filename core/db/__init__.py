"""Storage: SQLAlchemy models, engine/session factory, and the repository functions."""
