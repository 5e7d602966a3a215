-- HS-F7: bank statements and their matches against the book. Append-only: an unmatch is a new
-- row; a match is active while no unmatch names it.
CREATE TABLE bank_statements (
    id           INTEGER PRIMARY KEY,
    account      TEXT NOT NULL REFERENCES ledger_accounts(name),
    file_sha256  TEXT NOT NULL,
    imported_by  INTEGER NOT NULL REFERENCES users(id),
    imported_at  TEXT NOT NULL,
    UNIQUE (account, file_sha256)
);
CREATE TABLE statement_lines (
    id            INTEGER PRIMARY KEY,
    statement_id  INTEGER NOT NULL REFERENCES bank_statements(id),
    row_no        INTEGER NOT NULL,
    line_date     TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL CHECK (amount_fen <> 0),
    reference     TEXT NOT NULL,
    memo          TEXT NOT NULL
);
CREATE TABLE recon_matches (
    id          INTEGER PRIMARY KEY,
    account     TEXT NOT NULL REFERENCES ledger_accounts(name),
    rule        TEXT NOT NULL,
    score       INTEGER NOT NULL,
    note        TEXT,
    matched_by  INTEGER NOT NULL REFERENCES users(id),
    matched_at  TEXT NOT NULL
);
CREATE TABLE recon_match_items (
    match_id           INTEGER NOT NULL REFERENCES recon_matches(id),
    statement_line_id  INTEGER REFERENCES statement_lines(id),
    ledger_seq         INTEGER,
    ledger_line_no     INTEGER,
    CHECK ((statement_line_id IS NULL) <> (ledger_seq IS NULL))
);
CREATE INDEX recon_match_items_match ON recon_match_items(match_id);
CREATE TABLE recon_unmatches (
    match_id      INTEGER NOT NULL UNIQUE REFERENCES recon_matches(id),
    reason        TEXT NOT NULL,
    unmatched_by  INTEGER NOT NULL REFERENCES users(id),
    unmatched_at  TEXT NOT NULL
);
CREATE TRIGGER bank_statements_no_update BEFORE UPDATE ON bank_statements
BEGIN SELECT RAISE(ABORT, 'bank_statements is append-only'); END;
CREATE TRIGGER bank_statements_no_delete BEFORE DELETE ON bank_statements
BEGIN SELECT RAISE(ABORT, 'bank_statements is append-only'); END;
CREATE TRIGGER statement_lines_no_update BEFORE UPDATE ON statement_lines
BEGIN SELECT RAISE(ABORT, 'statement_lines is append-only'); END;
CREATE TRIGGER statement_lines_no_delete BEFORE DELETE ON statement_lines
BEGIN SELECT RAISE(ABORT, 'statement_lines is append-only'); END;
CREATE TRIGGER recon_matches_no_update BEFORE UPDATE ON recon_matches
BEGIN SELECT RAISE(ABORT, 'recon_matches is append-only'); END;
CREATE TRIGGER recon_matches_no_delete BEFORE DELETE ON recon_matches
BEGIN SELECT RAISE(ABORT, 'recon_matches is append-only'); END;
CREATE TRIGGER recon_match_items_no_update BEFORE UPDATE ON recon_match_items
BEGIN SELECT RAISE(ABORT, 'recon_match_items is append-only'); END;
CREATE TRIGGER recon_match_items_no_delete BEFORE DELETE ON recon_match_items
BEGIN SELECT RAISE(ABORT, 'recon_match_items is append-only'); END;
CREATE TRIGGER recon_unmatches_no_update BEFORE UPDATE ON recon_unmatches
BEGIN SELECT RAISE(ABORT, 'recon_unmatches is append-only'); END;
CREATE TRIGGER recon_unmatches_no_delete BEFORE DELETE ON recon_unmatches
BEGIN SELECT RAISE(ABORT, 'recon_unmatches is append-only'); END;
-- HS-F4: developers' reports of how they used acquisition proceeds, with the priority flags
-- computed when each was filed.
CREATE TABLE proceeds_reports (
    id           INTEGER PRIMARY KEY,
    listing_id   INTEGER NOT NULL REFERENCES listings(instance_id),
    period_end   TEXT NOT NULL,
    report       TEXT NOT NULL,
    flags        TEXT NOT NULL,
    reported_by  INTEGER NOT NULL REFERENCES users(id),
    reported_at  TEXT NOT NULL
);
CREATE TRIGGER proceeds_reports_no_update BEFORE UPDATE ON proceeds_reports
BEGIN SELECT RAISE(ABORT, 'proceeds_reports is append-only'); END;
CREATE TRIGGER proceeds_reports_no_delete BEFORE DELETE ON proceeds_reports
BEGIN SELECT RAISE(ABORT, 'proceeds_reports is append-only'); END;
