-- HS-A6: how each bought unit is operated — rental (配租), sale (配售) or resettlement (安置) —
-- as decided by the acquiring company. A unit's use is its newest row; a change is a new row;
-- nothing is overwritten.
CREATE TABLE unit_uses (
    id          INTEGER PRIMARY KEY,
    listing_id  INTEGER NOT NULL REFERENCES listings(instance_id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    use_kind    TEXT NOT NULL CHECK (use_kind IN ('rental', 'sale', 'resettlement')),
    note        TEXT,
    decided_by  INTEGER NOT NULL REFERENCES users(id),
    decided_at  TEXT NOT NULL
);
CREATE INDEX unit_uses_unit ON unit_uses(unit_id, id);
CREATE INDEX unit_uses_listing ON unit_uses(listing_id);
CREATE TRIGGER unit_uses_no_update BEFORE UPDATE ON unit_uses
BEGIN SELECT RAISE(ABORT, 'unit_uses is append-only'); END;
CREATE TRIGGER unit_uses_no_delete BEFORE DELETE ON unit_uses
BEGIN SELECT RAISE(ABORT, 'unit_uses is append-only'); END;
