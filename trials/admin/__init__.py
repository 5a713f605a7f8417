"""Django admin for curators: trials with their parts, vocabularies, and read-only provenance.

One module per concern; importing them registers every model.
"""

from trials.admin import imports, parts, provenance, trial, vocab

__all__ = ["imports", "parts", "provenance", "trial", "vocab"]
