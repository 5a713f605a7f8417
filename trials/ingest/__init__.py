"""Ingest: read raw sources, parse them into records, load records into the catalogue.

- ``readers``: files, folders, archives and JSON lines -> ``RawSource`` units (bytes + origin).
- ``parsers``: pure functions from raw text to ``records.TrialRecord`` (no ORM, no I/O).
- ``loader``: writes one ``TrialRecord`` to the database in its own transaction.
"""
