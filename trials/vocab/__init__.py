"""The vocabularies behind the facets: drugs and drug classes, conditions (MeSH), places.

Built from open sources by ``scripts/build_vocabulary.py`` into ``data/vocab/``; read here by pure
functions (no ORM) that resolve an intervention to drugs and classes, a condition to MeSH
descriptors, and a city to coordinates.
"""
