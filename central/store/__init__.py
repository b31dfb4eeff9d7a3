"""The central service's database: models, engine and units of work, migrations, and the
operations on it (configuration, cards, billing, sync)."""
