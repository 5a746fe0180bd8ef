"""The street gazetteer and neighbourhood populations. The gazetteer is the city's street centreline, one row
per segment (a block face pair), as imported by `flask geo import-streets` (civic/geo/streets_import.py).

No spatial extension: the line is kept as JSON text, and its bounding box in four indexed float columns is
what nearest-segment lookups filter on, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic.database import UTCDateTime, utcnow
from civic.extensions import Model


class StreetSegment(Model):
    __tablename__ = "street_segments"
    __table_args__ = (Index("ix_street_segments_bbox", "min_lat", "max_lat", "min_lon", "max_lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seg_id: Mapped[str | None] = mapped_column(String(40))  # the city's own id (SEG_ID)
    pre_dir: Mapped[str | None] = mapped_column(String(4))  # "E"
    name: Mapped[str] = mapped_column(String(80))  # "Columbia"
    street_type: Mapped[str | None] = mapped_column(String(8))  # "AVE"
    suf_dir: Mapped[str | None] = mapped_column(String(4))
    display_name: Mapped[str] = mapped_column(String(120))  # "E Columbia Ave"
    name_key: Mapped[str] = mapped_column(String(80), index=True)  # "columbia": what lookups match on
    # Address ranges per side of the line, in its drawing direction ("from" at its first point).
    left_from: Mapped[int | None] = mapped_column(Integer)
    left_to: Mapped[int | None] = mapped_column(Integer)
    right_from: Mapped[int | None] = mapped_column(Integer)
    right_to: Mapped[int | None] = mapped_column(Integer)
    # [[[lon, lat], ...], ...]: the line's parts (one for a LineString).
    coordinates: Mapped[str] = mapped_column(Text)
    min_lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)

    @property
    def parts(self) -> list[list[list[float]]]:
        return json.loads(self.coordinates)

    def __repr__(self) -> str:
        return f"<StreetSegment {self.seg_id} {self.display_name}>"


class NeighbourhoodPopulation(Model):
    """How many people live in a neighbourhood, from a CSV the city loads (`flask geo load-population`): lets the
    dashboard compare neighbourhoods per 1,000 residents."""

    __tablename__ = "neighbourhood_populations"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    population: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
