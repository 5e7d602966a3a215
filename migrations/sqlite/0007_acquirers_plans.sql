-- Issue 4: the acquiring companies a city has designated (YQ-7.1: at most two local state-owned
-- companies, none a government financing platform) and their revocations; the acquisition plans
-- (收购方案) recorded as the input of a round's planning step. Append-only: a revocation and a
-- newer plan are new rows.
CREATE TABLE acquirers (
    id                   INTEGER PRIMARY KEY,
    pack                 TEXT NOT NULL,
    -- n-th designation in the pack: two concurrent designations cannot both take a slot.
    seq                  INTEGER NOT NULL,
    name                 TEXT NOT NULL,
    financing_platform   INTEGER NOT NULL CHECK (financing_platform IN (0, 1)),
    decision_ref         TEXT NOT NULL,
    designated_by        INTEGER NOT NULL REFERENCES users(id),
    designated_at        TEXT NOT NULL,
    UNIQUE (pack, seq)
);
CREATE TABLE acquirer_revocations (
    acquirer_id  INTEGER PRIMARY KEY REFERENCES acquirers(id),
    reason       TEXT NOT NULL,
    revoked_by   INTEGER NOT NULL REFERENCES users(id),
    revoked_at   TEXT NOT NULL
);
CREATE TABLE round_plans (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES rounds(instance_id),
    plan         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    recorded_by  INTEGER NOT NULL REFERENCES users(id),
    recorded_at  TEXT NOT NULL
);
CREATE INDEX round_plans_round ON round_plans(round_id, id);
CREATE TRIGGER acquirers_no_update BEFORE UPDATE ON acquirers
BEGIN SELECT RAISE(ABORT, 'acquirers is append-only'); END;
CREATE TRIGGER acquirers_no_delete BEFORE DELETE ON acquirers
BEGIN SELECT RAISE(ABORT, 'acquirers is append-only'); END;
CREATE TRIGGER acquirer_revocations_no_update BEFORE UPDATE ON acquirer_revocations
BEGIN SELECT RAISE(ABORT, 'acquirer_revocations is append-only'); END;
CREATE TRIGGER acquirer_revocations_no_delete BEFORE DELETE ON acquirer_revocations
BEGIN SELECT RAISE(ABORT, 'acquirer_revocations is append-only'); END;
CREATE TRIGGER round_plans_no_update BEFORE UPDATE ON round_plans
BEGIN SELECT RAISE(ABORT, 'round_plans is append-only'); END;
CREATE TRIGGER round_plans_no_delete BEFORE DELETE ON round_plans
BEGIN SELECT RAISE(ABORT, 'round_plans is append-only'); END;
