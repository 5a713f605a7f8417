"""Bulk import of CT.gov API v2 JSON lines at registry scale (``import_trials --bulk``).

The per-record path's stages, set-based, in 2 worker processes that each take a chunk of 2,000
units end to end on their own database connection (``chunk``):

- ``prepare``: each line parsed by the same parser and turned into the rows the per-record
  writer would write, vocabulary lookups included (no database);
- ``match``: studies the catalogue already holds are picked out: counted unchanged in bulk when
  the loader would find them so, else left to the per-record path (merge, curators' edits kept);
- ``batch``: the new studies get their vocabulary row ids and their own ids, and are written with
  PostgreSQL ``COPY`` in one transaction with their source records, outcomes and search
  documents, so an interrupted load leaves whole chunks or nothing of a chunk;
- ``run``: the import run around the workers, in the main process, which also loads what they
  leave to the per-record path (units that are not a single API v2 study, known studies).
"""
