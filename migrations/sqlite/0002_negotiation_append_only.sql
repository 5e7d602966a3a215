-- HS-A7.5 negotiation: asking prices (developer) and offers (acquirer), each recorded with the
-- ceiling and market price in force when it was made. Append-only.
CREATE TABLE negotiation_offers (
    id                      INTEGER PRIMARY KEY,
    listing_id              INTEGER NOT NULL REFERENCES listings(instance_id),
    side                    TEXT NOT NULL CHECK (side IN ('ask', 'offer')),
    basis                   TEXT NOT NULL CHECK (basis IN ('per_m2', 'total')),
    per_m2_fen              INTEGER NOT NULL CHECK (per_m2_fen > 0),
    total_fen               INTEGER NOT NULL CHECK (total_fen > 0),
    gross_area_centi        INTEGER NOT NULL CHECK (gross_area_centi > 0),
    ceiling_per_m2_fen      INTEGER NOT NULL,
    market_price_per_m2_fen INTEGER NOT NULL,
    valuation_id            INTEGER NOT NULL REFERENCES valuations(id),
    note                    TEXT,
    made_by                 INTEGER NOT NULL REFERENCES users(id),
    made_at                 TEXT NOT NULL
);
CREATE INDEX negotiation_offers_listing ON negotiation_offers(listing_id);

-- Records are append-only: a correction is a new row (a later valuation supersedes, a decision
-- follows a request). Only instances.state/version move, and only through the engine.
CREATE TRIGGER survey_returns_no_update BEFORE UPDATE ON survey_returns
BEGIN SELECT RAISE(ABORT, 'survey_returns is append-only'); END;
CREATE TRIGGER survey_returns_no_delete BEFORE DELETE ON survey_returns
BEGIN SELECT RAISE(ABORT, 'survey_returns is append-only'); END;
CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'documents is append-only'); END;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'documents is append-only'); END;
CREATE TRIGGER unit_lists_no_update BEFORE UPDATE ON unit_lists
BEGIN SELECT RAISE(ABORT, 'unit_lists is append-only'); END;
CREATE TRIGGER unit_lists_no_delete BEFORE DELETE ON unit_lists
BEGIN SELECT RAISE(ABORT, 'unit_lists is append-only'); END;
CREATE TRIGGER units_no_update BEFORE UPDATE ON units
BEGIN SELECT RAISE(ABORT, 'units is append-only'); END;
CREATE TRIGGER units_no_delete BEFORE DELETE ON units
BEGIN SELECT RAISE(ABORT, 'units is append-only'); END;
CREATE TRIGGER title_signoffs_no_update BEFORE UPDATE ON title_signoffs
BEGIN SELECT RAISE(ABORT, 'title_signoffs is append-only'); END;
CREATE TRIGGER title_signoffs_no_delete BEFORE DELETE ON title_signoffs
BEGIN SELECT RAISE(ABORT, 'title_signoffs is append-only'); END;
CREATE TRIGGER objections_no_update BEFORE UPDATE ON objections
BEGIN SELECT RAISE(ABORT, 'objections is append-only'); END;
CREATE TRIGGER objections_no_delete BEFORE DELETE ON objections
BEGIN SELECT RAISE(ABORT, 'objections is append-only'); END;
CREATE TRIGGER objection_resolutions_no_update BEFORE UPDATE ON objection_resolutions
BEGIN SELECT RAISE(ABORT, 'objection_resolutions is append-only'); END;
CREATE TRIGGER objection_resolutions_no_delete BEFORE DELETE ON objection_resolutions
BEGIN SELECT RAISE(ABORT, 'objection_resolutions is append-only'); END;
CREATE TRIGGER policy_exceptions_no_update BEFORE UPDATE ON policy_exceptions
BEGIN SELECT RAISE(ABORT, 'policy_exceptions is append-only'); END;
CREATE TRIGGER policy_exceptions_no_delete BEFORE DELETE ON policy_exceptions
BEGIN SELECT RAISE(ABORT, 'policy_exceptions is append-only'); END;
CREATE TRIGGER exception_decisions_no_update BEFORE UPDATE ON exception_decisions
BEGIN SELECT RAISE(ABORT, 'exception_decisions is append-only'); END;
CREATE TRIGGER exception_decisions_no_delete BEFORE DELETE ON exception_decisions
BEGIN SELECT RAISE(ABORT, 'exception_decisions is append-only'); END;
CREATE TRIGGER valuations_no_update BEFORE UPDATE ON valuations
BEGIN SELECT RAISE(ABORT, 'valuations is append-only'); END;
CREATE TRIGGER valuations_no_delete BEFORE DELETE ON valuations
BEGIN SELECT RAISE(ABORT, 'valuations is append-only'); END;
CREATE TRIGGER price_records_no_update BEFORE UPDATE ON price_records
BEGIN SELECT RAISE(ABORT, 'price_records is append-only'); END;
CREATE TRIGGER price_records_no_delete BEFORE DELETE ON price_records
BEGIN SELECT RAISE(ABORT, 'price_records is append-only'); END;
CREATE TRIGGER negotiation_offers_no_update BEFORE UPDATE ON negotiation_offers
BEGIN SELECT RAISE(ABORT, 'negotiation_offers is append-only'); END;
CREATE TRIGGER negotiation_offers_no_delete BEFORE DELETE ON negotiation_offers
BEGIN SELECT RAISE(ABORT, 'negotiation_offers is append-only'); END;
