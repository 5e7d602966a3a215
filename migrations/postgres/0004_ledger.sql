-- HS-F3 / HS-F6: ring-fenced fund ledgers. Double entry in whole fen; every table append-only;
-- entries chained by SHA-256 (prev_hash → hash) in posting order (seq 1, 2, 3, …).
CREATE TABLE ledger_accounts (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('fund', 'source', 'income', 'bank', 'escrow', 'expense')),
    project     TEXT,
    source      TEXT CHECK (source IN ('special_bond', 'project_loan', 'fiscal_subsidy', 'other')),
    label       TEXT NOT NULL,
    opened_by   BIGINT NOT NULL REFERENCES users(id),
    opened_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE ledger_entries (
    seq           BIGINT PRIMARY KEY,
    idem_key      TEXT NOT NULL UNIQUE,
    request_hash  TEXT NOT NULL,
    entry_date    DATE NOT NULL,
    kind          TEXT NOT NULL,
    memo          TEXT NOT NULL,
    approval      TEXT,
    posted_by     BIGINT NOT NULL REFERENCES users(id),
    posted_at     TIMESTAMPTZ NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE
);
CREATE TABLE ledger_lines (
    seq         BIGINT NOT NULL REFERENCES ledger_entries(seq),
    line_no     BIGINT NOT NULL,
    account     TEXT NOT NULL REFERENCES ledger_accounts(name),
    amount_fen  BIGINT NOT NULL CHECK (amount_fen <> 0),
    -- The account's balance after this line: the current balance is one index lookup, and
    -- `anju ledger verify` recomputes every one of them.
    balance_after_fen BIGINT NOT NULL,
    PRIMARY KEY (seq, line_no)
);
CREATE INDEX ledger_lines_account ON ledger_lines(account, seq, line_no);
CREATE TRIGGER ledger_accounts_append_only BEFORE UPDATE OR DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION anju_append_only();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION anju_append_only();
CREATE TRIGGER ledger_lines_append_only BEFORE UPDATE OR DELETE ON ledger_lines
    FOR EACH ROW EXECUTE FUNCTION anju_append_only();
