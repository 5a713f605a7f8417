"""A registry-sized synthetic CT.gov API v2 corpus, recombined from real records (``make_corpus.py``)."""
