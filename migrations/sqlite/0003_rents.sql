-- HS-P8 / HS-P9: the rent register of bought units. Each row sets a unit's monthly rent from
-- its effective date; a later row supersedes an earlier one; nothing is overwritten.
CREATE TABLE rent_records (
    id                      INTEGER PRIMARY KEY,
    listing_id              INTEGER NOT NULL REFERENCES listings(instance_id),
    unit_id                 INTEGER NOT NULL REFERENCES units(id),
    kind                    TEXT NOT NULL CHECK (kind IN ('initial', 'adjustment')),
    rent_per_m2_fen         INTEGER NOT NULL CHECK (rent_per_m2_fen > 0),
    monthly_rent_fen        INTEGER NOT NULL CHECK (monthly_rent_fen > 0),
    market_rent_per_m2_fen  INTEGER NOT NULL CHECK (market_rent_per_m2_fen > 0),
    effective_date          TEXT NOT NULL,
    exception_id            INTEGER REFERENCES policy_exceptions(id),
    rules                   TEXT NOT NULL,
    note                    TEXT,
    recorded_by             INTEGER NOT NULL REFERENCES users(id),
    recorded_at             TEXT NOT NULL
);
CREATE INDEX rent_records_unit ON rent_records(unit_id, id);
CREATE INDEX rent_records_listing ON rent_records(listing_id);
CREATE TRIGGER rent_records_no_update BEFORE UPDATE ON rent_records
BEGIN SELECT RAISE(ABORT, 'rent_records is append-only'); END;
CREATE TRIGGER rent_records_no_delete BEFORE DELETE ON rent_records
BEGIN SELECT RAISE(ABORT, 'rent_records is append-only'); END;
