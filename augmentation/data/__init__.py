"""Tables in and out: ``io`` (CSV/Parquet/SQL, atomic writes, content hash), ``table`` (the column spec and
its checks), ``simulate`` (the trauma simulator), ``examples`` (German credit), ``rarity`` (target density and
rare-region weights)."""

__all__ = ["io", "table", "simulate", "examples", "rarity"]
