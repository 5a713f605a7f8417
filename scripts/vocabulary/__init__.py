"""Builders of the shipped vocabularies in ``data/vocab/``: one module per vocabulary, each with
``build(shared: Path, out: Path) -> dict`` returning what it wrote (counts)."""
