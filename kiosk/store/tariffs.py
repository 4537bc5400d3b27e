"""Tariffs on the terminal: the prices per kWh an estimate is made from.

They come from the office (``GET /api/v1/tariffs``, stored whole with its version) or, on a
terminal without an office, from a tariff file (``kiosk tariffs import``). Either way the set
held is replaced in one transaction, never merged, so the terminal holds exactly one source's
prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Iterable

from sqlalchemy import Engine, select

from kiosk.store.database import writing
from kiosk.store.schema import tariff_prices, tariff_state
from sync.semicolon_file import RowError
from sync.tariff_file import MAX_PRICES, TariffPrice
from sync.zones import ZoneMeaning


@dataclass(frozen=True, slots=True)
class TariffImport:
    prices: int
    tariffs: int
    errors: tuple[RowError, ...]
    imported: bool
    problem: str | None = None  # why nothing was imported, when it is not the rows' errors


class Tariffs:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def prices(self, tariff: str) -> list[TariffPrice]:
        """Every price of one tariff, oldest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(tariff_prices).where(tariff_prices.c.tariff == tariff).order_by(tariff_prices.c.valid_from)
            ).all()
        return [TariffPrice(row.tariff, ZoneMeaning(row.zone), Decimal(row.price), date.fromisoformat(row.valid_from))
                for row in rows]

    def counts(self) -> dict[str, object]:
        with self._engine.connect() as connection:
            codes = connection.execute(select(tariff_prices.c.tariff)).scalars().all()
            state = connection.execute(select(tariff_state)).first()
        return {"tariffs": len(set(codes)), "prices": len(codes),
                "version": state.version if state else None, "updated_at": state.updated_at if state else None}

    def version(self) -> str | None:
        """The office's version of the prices held; None when none came from the office."""
        with self._engine.connect() as connection:
            return connection.execute(select(tariff_state.c.version)).scalar()

    def import_rows(self, rows: Iterable[TariffPrice | RowError], *, skip_bad: bool = False) -> TariffImport:
        """Replace the prices by a file's, all or nothing unless ``skip_bad``; a file that could
        not be read replaces nothing whatever ``skip_bad`` says."""
        good: list[TariffPrice] = []
        errors: list[RowError] = []
        for row in rows:
            if isinstance(row, RowError):
                errors.append(row)
            elif len(good) < MAX_PRICES:
                good.append(row)
            else:  # read no further: the office would not send so many either
                return TariffImport(0, 0, tuple(errors), imported=False,
                                    problem=f"more than {MAX_PRICES:,} prices: nothing was imported")
        if errors and (not skip_bad or any(error.ends_reading for error in errors)):
            return TariffImport(0, 0, tuple(errors), imported=False)
        self.replace(None, good)
        return TariffImport(len(good), len({row.tariff for row in good}), tuple(errors), imported=True)

    def replace(self, version: str | None, prices: Iterable[TariffPrice]) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with writing(self._engine) as connection:
            connection.execute(tariff_prices.delete())
            rows = [{"tariff": price.tariff, "zone": price.zone.value, "valid_from": price.valid_from.isoformat(),
                     "price": str(price.price)} for price in prices]
            if rows:
                connection.execute(tariff_prices.insert(), rows)
            connection.exec_driver_sql(
                "INSERT INTO tariff_state (id, version, updated_at) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
                (version, now),
            )
