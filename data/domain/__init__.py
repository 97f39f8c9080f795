"""The domain: schema, periods, the Dataset, status, views, formatting, spotlight decks. Imports nothing from storage/ or ingest/."""
