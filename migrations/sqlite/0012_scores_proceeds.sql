-- NC-33: a sale by scoring — each registered household's points under the plan's criteria,
-- with the evidence; the newest row per household counts.
CREATE TABLE sale_scores (
    id              INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales(instance_id),
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    criteria        TEXT NOT NULL,
    points          INTEGER NOT NULL CHECK (points >= 0),
    evidence        TEXT NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE INDEX sale_scores_sale ON sale_scores(sale_id, application_id, id);
-- HS-F2, NC-20, XY-4: money received for a sold unit, posted to the project's ring-fenced
-- ledger in the same transaction (entry_seq); never more than the contract price in all.
CREATE TABLE sale_receipts (
    id              INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales(instance_id),
    contract_id     INTEGER NOT NULL REFERENCES sale_contracts(id),
    amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
    received_on     TEXT NOT NULL,
    entry_seq       INTEGER NOT NULL REFERENCES ledger_entries(seq) UNIQUE,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE INDEX sale_receipts_contract ON sale_receipts(contract_id);
CREATE TRIGGER sale_scores_no_update BEFORE UPDATE ON sale_scores BEGIN SELECT RAISE(ABORT, 'sale_scores is append-only'); END;
CREATE TRIGGER sale_scores_no_delete BEFORE DELETE ON sale_scores BEGIN SELECT RAISE(ABORT, 'sale_scores is append-only'); END;
CREATE TRIGGER sale_receipts_no_update BEFORE UPDATE ON sale_receipts BEGIN SELECT RAISE(ABORT, 'sale_receipts is append-only'); END;
CREATE TRIGGER sale_receipts_no_delete BEFORE DELETE ON sale_receipts BEGIN SELECT RAISE(ABORT, 'sale_receipts is append-only'); END;
