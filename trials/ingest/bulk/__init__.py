"""Bulk import of CT.gov API v2 JSON lines at registry scale (``import_trials --bulk``).

Three stages, as the per-record path has, but set-based:

- ``prepare``: in worker processes, each line is parsed by the same parser and turned into the
  rows the per-record writer would write, vocabulary lookups included (no database);
- ``batch``: in the main process, a batch of prepared studies gets its vocabulary row ids and
  its own row ids, and is written with PostgreSQL ``COPY`` in one transaction together with its
  source records, its import outcomes and its search structures (``search_index``), so an
  interrupted load leaves whole batches or nothing of a batch;
- ``run``: the import run around them. A study the catalogue already knows (any registry id or
  source already there, or met earlier in the same batch) and any line that is not a single
  API v2 study goes through the per-record path instead, which merges and keeps curators' edits.
"""
