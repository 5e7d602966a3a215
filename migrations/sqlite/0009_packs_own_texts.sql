-- Issue 12: each jurisdiction by its own text.

-- HS-P8 / HS-P9 / HS-P12 / YQ-15 / NC-30 / XY-13: a price of bought units is proposed, then
-- approved by the body the text names, step by step; only an approved proposal binds.
CREATE TABLE price_proposals (
    id           INTEGER PRIMARY KEY,
    listing_id   INTEGER NOT NULL REFERENCES listings(instance_id),
    kind         TEXT NOT NULL CHECK (kind IN ('initial_rent', 'rent_change', 'sale_price')),
    rule         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    note         TEXT,
    proposed_by  INTEGER NOT NULL REFERENCES users(id),
    role         TEXT NOT NULL,
    proposed_at  TEXT NOT NULL
);
CREATE INDEX price_proposals_listing ON price_proposals(listing_id);
CREATE TABLE price_approvals (
    id            INTEGER PRIMARY KEY,
    proposal_id   INTEGER NOT NULL REFERENCES price_proposals(id),
    step          INTEGER NOT NULL CHECK (step >= 1),
    role          TEXT NOT NULL,
    rule          TEXT NOT NULL,
    approved      INTEGER NOT NULL,
    decision_ref  TEXT NOT NULL,
    comment       TEXT,
    decided_by    INTEGER NOT NULL REFERENCES users(id),
    decided_at    TEXT NOT NULL,
    UNIQUE (proposal_id, step)
);
CREATE TRIGGER price_proposals_no_update BEFORE UPDATE ON price_proposals
BEGIN SELECT RAISE(ABORT, 'price_proposals is append-only'); END;
CREATE TRIGGER price_proposals_no_delete BEFORE DELETE ON price_proposals
BEGIN SELECT RAISE(ABORT, 'price_proposals is append-only'); END;
CREATE TRIGGER price_approvals_no_update BEFORE UPDATE ON price_approvals
BEGIN SELECT RAISE(ABORT, 'price_approvals is append-only'); END;
CREATE TRIGGER price_approvals_no_delete BEFORE DELETE ON price_approvals
BEGIN SELECT RAISE(ABORT, 'price_approvals is append-only'); END;

-- A rent record belongs to the proposal that carried it; rows recorded before proposals existed
-- (NULL) bound when they were written.
ALTER TABLE rent_records ADD COLUMN proposal_id INTEGER REFERENCES price_proposals(id);

-- HS-A4.1: the developer declares whether an unfinished project is in the 保交房攻坚战.
ALTER TABLE listings ADD COLUMN in_delivery_campaign INTEGER NOT NULL DEFAULT 0;

-- The ceiling's rule (HS-P5, YQ-7.3, NC-20) and, for NC-20, the basis of the cost
-- (final_accounts or appraisal).
ALTER TABLE valuations ADD COLUMN ceiling_rule TEXT;
ALTER TABLE valuations ADD COLUMN cost_basis TEXT;

-- Xingyi's text sets no acquisition ceiling and no valuation step: a price record may carry
-- neither. SQLite cannot drop NOT NULL in place, so the table is rebuilt (nothing references
-- it; the implicit delete of DROP TABLE fires no trigger) and its triggers re-created.
CREATE TABLE price_records_new (
    id                INTEGER PRIMARY KEY,
    listing_id        INTEGER NOT NULL REFERENCES listings(instance_id),
    kind              TEXT NOT NULL CHECK (kind IN ('agreed', 'final')),
    price_per_m2_fen  INTEGER NOT NULL CHECK (price_per_m2_fen > 0),
    total_fen         INTEGER NOT NULL CHECK (total_fen > 0),
    ceiling_per_m2_fen INTEGER,
    valuation_id      INTEGER REFERENCES valuations(id),
    history_id        INTEGER NOT NULL REFERENCES history(id),
    recorded_by       INTEGER NOT NULL REFERENCES users(id),
    recorded_at       TEXT NOT NULL,
    CHECK (ceiling_per_m2_fen IS NULL OR price_per_m2_fen <= ceiling_per_m2_fen)
);
INSERT INTO price_records_new SELECT id, listing_id, kind, price_per_m2_fen, total_fen,
    ceiling_per_m2_fen, valuation_id, history_id, recorded_by, recorded_at FROM price_records;
DROP TABLE price_records;
ALTER TABLE price_records_new RENAME TO price_records;
CREATE TRIGGER price_records_no_update BEFORE UPDATE ON price_records
BEGIN SELECT RAISE(ABORT, 'price_records is append-only'); END;
CREATE TRIGGER price_records_no_delete BEFORE DELETE ON price_records
BEGIN SELECT RAISE(ABORT, 'price_records is append-only'); END;
