"""Django admin for curators: trials with their parts, vocabularies, and read-only provenance.

One module per concern; importing them registers every model.
"""

from trials.admin import parts, provenance, trial, vocab

__all__ = ["parts", "provenance", "trial", "vocab"]
