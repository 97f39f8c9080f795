"""The store: tables, migrations, versions, users and tokens, the head reader. Imports data.domain, never data.ingest."""
