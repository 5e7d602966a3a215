-- HS-F3 / HS-F6: ring-fenced fund ledgers. Double entry in whole fen; every table append-only;
-- entries chained by SHA-256 (prev_hash → hash) in posting order (seq 1, 2, 3, …).
CREATE TABLE ledger_accounts (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('fund', 'source', 'income', 'bank', 'escrow', 'expense')),
    project     TEXT,
    source      TEXT CHECK (source IN ('special_bond', 'project_loan', 'fiscal_subsidy', 'other')),
    label       TEXT NOT NULL,
    -- HS-F4: an escrow account is registered for one listing.
    listing_id  INTEGER REFERENCES listings(instance_id),
    -- HS-F4 / HS-F5: a fund's acquisition or operation; an expense's use; an income's category.
    purpose     TEXT,
    opened_by   INTEGER NOT NULL REFERENCES users(id),
    opened_at   TEXT NOT NULL
);
CREATE TABLE ledger_entries (
    seq           INTEGER PRIMARY KEY,
    idem_key      TEXT NOT NULL UNIQUE,
    request_hash  TEXT NOT NULL,
    entry_date    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    memo          TEXT NOT NULL,
    approval      TEXT,
    listing_id    INTEGER REFERENCES listings(instance_id),
    -- NC-20: the consents of a disbursement (JSON).
    consents      TEXT,
    posted_by     INTEGER NOT NULL REFERENCES users(id),
    posted_at     TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE
);
CREATE TABLE ledger_lines (
    seq         INTEGER NOT NULL REFERENCES ledger_entries(seq),
    line_no     INTEGER NOT NULL,
    account     TEXT NOT NULL REFERENCES ledger_accounts(name),
    amount_fen  INTEGER NOT NULL CHECK (amount_fen <> 0),
    -- The account's balance after this line: the current balance is one index lookup, and
    -- `anju ledger verify` recomputes every one of them.
    balance_after_fen INTEGER NOT NULL,
    PRIMARY KEY (seq, line_no)
);
CREATE INDEX ledger_lines_account ON ledger_lines(account, seq, line_no);
CREATE TRIGGER ledger_accounts_no_update BEFORE UPDATE ON ledger_accounts
BEGIN SELECT RAISE(ABORT, 'ledger_accounts is append-only'); END;
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
BEGIN SELECT RAISE(ABORT, 'ledger_accounts is append-only'); END;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
CREATE TRIGGER ledger_lines_no_update BEFORE UPDATE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'ledger_lines is append-only'); END;
CREATE TRIGGER ledger_lines_no_delete BEFORE DELETE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'ledger_lines is append-only'); END;

-- HS-F4: the agreement's payment schedule of a listing; a newer schedule supersedes an older one.
CREATE TABLE payment_schedules (
    id           INTEGER PRIMARY KEY,
    listing_id   INTEGER NOT NULL REFERENCES listings(instance_id),
    installments TEXT NOT NULL,
    total_fen    INTEGER NOT NULL CHECK (total_fen > 0),
    recorded_by  INTEGER NOT NULL REFERENCES users(id),
    recorded_at  TEXT NOT NULL
);
-- HS-F8: every refused posting (diversion attempts, over-payments, overdrafts), kept although
-- the entry itself was not posted.
CREATE TABLE ledger_refusals (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    INTEGER NOT NULL REFERENCES users(id),
    entry_key   TEXT NOT NULL,
    rule        TEXT NOT NULL,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    entry       TEXT NOT NULL
);
CREATE TRIGGER payment_schedules_no_update BEFORE UPDATE ON payment_schedules
BEGIN SELECT RAISE(ABORT, 'payment_schedules is append-only'); END;
CREATE TRIGGER payment_schedules_no_delete BEFORE DELETE ON payment_schedules
BEGIN SELECT RAISE(ABORT, 'payment_schedules is append-only'); END;
CREATE TRIGGER ledger_refusals_no_update BEFORE UPDATE ON ledger_refusals
BEGIN SELECT RAISE(ABORT, 'ledger_refusals is append-only'); END;
CREATE TRIGGER ledger_refusals_no_delete BEFORE DELETE ON ledger_refusals
BEGIN SELECT RAISE(ABORT, 'ledger_refusals is append-only'); END;
