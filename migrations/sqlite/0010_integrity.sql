-- Issue 15 (integrity under mistakes and misuse) and issue 19 (bids sealed at rest). Every new
-- table is append-only; added columns are filled when a row is written, never later.

-- A reversal names the one entry it negates (each entry is reversed at most once); a late
-- booking keeps how many days before its posting day it is dated (HS-F8 lists it).
ALTER TABLE ledger_entries ADD COLUMN reverses INTEGER REFERENCES ledger_entries(seq);
ALTER TABLE ledger_entries ADD COLUMN backdated_days INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX ledger_entries_reverses ON ledger_entries(reverses) WHERE reverses IS NOT NULL;
CREATE INDEX ledger_entries_backdated ON ledger_entries(seq) WHERE backdated_days > 0;

-- The leading group's recorded decisions (会议纪要、批复) that a reallocation (HS-F3) or a changed
-- payment schedule (HS-F4) cites by number.
CREATE TABLE lg_decisions (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    decided_on   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    recorded_by  INTEGER NOT NULL REFERENCES users(id),
    recorded_at  TEXT NOT NULL
);
CREATE TRIGGER lg_decisions_no_update BEFORE UPDATE ON lg_decisions
BEGIN SELECT RAISE(ABORT, 'lg_decisions is append-only'); END;
CREATE TRIGGER lg_decisions_no_delete BEFORE DELETE ON lg_decisions
BEGIN SELECT RAISE(ABORT, 'lg_decisions is append-only'); END;

-- HS-F4: a schedule replacing an earlier one cites the decision allowing it, with a reason.
ALTER TABLE payment_schedules ADD COLUMN decision_id INTEGER REFERENCES lg_decisions(id);
ALTER TABLE payment_schedules ADD COLUMN reason TEXT;

-- HS-F7: a statement is known by its content (account, dates, amounts, references, order),
-- whatever its file's bytes.
ALTER TABLE bank_statements ADD COLUMN content_sha256 TEXT;
CREATE UNIQUE INDEX bank_statements_content ON bank_statements(account, content_sha256)
    WHERE content_sha256 IS NOT NULL;

-- HS-F7: the finance bureau's check of an account's reconciliation on a date, with the
-- figures it saw.
CREATE TABLE recon_checks (
    id          INTEGER PRIMARY KEY,
    account     TEXT NOT NULL REFERENCES ledger_accounts(name),
    upto        TEXT NOT NULL,
    book_fen    INTEGER NOT NULL,
    bank_fen    INTEGER NOT NULL,
    agrees      INTEGER NOT NULL CHECK (agrees IN (0, 1)),
    note        TEXT NOT NULL,
    checked_by  INTEGER NOT NULL REFERENCES users(id),
    checked_at  TEXT NOT NULL
);
CREATE TRIGGER recon_checks_no_update BEFORE UPDATE ON recon_checks
BEGIN SELECT RAISE(ABORT, 'recon_checks is append-only'); END;
CREATE TRIGGER recon_checks_no_delete BEFORE DELETE ON recon_checks
BEGIN SELECT RAISE(ABORT, 'recon_checks is append-only'); END;

-- Full verifications of the chain that passed: the page verifies only what came after the
-- newest one.
CREATE TABLE ledger_verifications (
    id           INTEGER PRIMARY KEY,
    seq          INTEGER NOT NULL,
    hash         TEXT NOT NULL,
    verified_at  TEXT NOT NULL
);
CREATE TRIGGER ledger_verifications_no_update BEFORE UPDATE ON ledger_verifications
BEGIN SELECT RAISE(ABORT, 'ledger_verifications is append-only'); END;
CREATE TRIGGER ledger_verifications_no_delete BEFORE DELETE ON ledger_verifications
BEGIN SELECT RAISE(ABORT, 'ledger_verifications is append-only'); END;

-- Tenders: the round's sealing key (public half; secret half wrapped under the opening key the
-- housing bureau keeps), and corrections made before the first bid.
ALTER TABLE tenders ADD COLUMN seal_public TEXT;
ALTER TABLE tenders ADD COLUMN seal_wrapped TEXT;
CREATE TABLE tender_corrections (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES tenders(round_id),
    terms        TEXT NOT NULL,
    deadline_at  TEXT NOT NULL,
    opening_at   TEXT NOT NULL,
    reason       TEXT NOT NULL,
    set_by       INTEGER NOT NULL REFERENCES users(id),
    set_at       TEXT NOT NULL
);
CREATE INDEX tender_corrections_round ON tender_corrections(round_id, id);
CREATE TRIGGER tender_corrections_no_update BEFORE UPDATE ON tender_corrections
BEGIN SELECT RAISE(ABORT, 'tender_corrections is append-only'); END;
CREATE TRIGGER tender_corrections_no_delete BEFORE DELETE ON tender_corrections
BEGIN SELECT RAISE(ABORT, 'tender_corrections is append-only'); END;

-- Bids sealed at rest: an opaque public reference, the content encrypted to the round's key,
-- and the commitment (SHA-256 of salt and content) given to the bidder as its receipt. The
-- secret half of the round's key is released into the opening's row.
ALTER TABLE bids ADD COLUMN public_ref TEXT;
ALTER TABLE bids ADD COLUMN sealed TEXT;
ALTER TABLE bids ADD COLUMN commitment TEXT;
CREATE UNIQUE INDEX bids_public_ref ON bids(public_ref) WHERE public_ref IS NOT NULL;
ALTER TABLE bid_openings ADD COLUMN seal_secret TEXT;
