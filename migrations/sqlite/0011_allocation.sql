-- no-transaction
-- Issue 13: households, applications, verification, sales, lotteries, selections, contracts,
-- bans, the per-unit register and the log of personal-data reads.
--
-- Instances of new kinds (application, sale) run on the same engine. SQLite cannot change a
-- CHECK in place, so `instances` is rebuilt the documented way (foreign keys off, copy,
-- rename, check, foreign keys on), in one transaction of its own.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE instances_new (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('round', 'listing', 'application', 'sale')),
    workflow_key  TEXT NOT NULL,
    def_hash      TEXT NOT NULL REFERENCES workflow_defs(hash),
    state         TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    entered_at    TEXT NOT NULL,
    deadline_name TEXT,
    deadline_due  TEXT,
    created_at    TEXT NOT NULL
);
INSERT INTO instances_new SELECT id, kind, workflow_key, def_hash, state, version, entered_at,
    deadline_name, deadline_due, created_at FROM instances;
DROP TABLE instances;
ALTER TABLE instances_new RENAME TO instances;

-- ALLOCATION.md §1–§3: an application for a household; the household's data are snapshots,
-- the newest current (a correction is a new snapshot, NC-29, XY-19).
CREATE TABLE applications (
    instance_id     INTEGER PRIMARY KEY REFERENCES instances(id),
    pack            TEXT NOT NULL,
    application_no  TEXT NOT NULL UNIQUE,
    accepting_org   TEXT NOT NULL,
    created_by      INTEGER NOT NULL REFERENCES users(id),
    created_at      TEXT NOT NULL
);
CREATE TABLE household_snapshots (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    data            TEXT NOT NULL,
    group_key       TEXT NOT NULL,
    member_count    INTEGER NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE INDEX household_snapshots_app ON household_snapshots(application_id, id);
-- Every member's ID number, for bans and "one unit per family" across applications.
CREATE TABLE household_members (
    snapshot_id     INTEGER NOT NULL REFERENCES household_snapshots(id),
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    id_number       TEXT NOT NULL
);
CREATE INDEX household_members_id ON household_members(id_number);
CREATE TABLE application_materials (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    material        TEXT NOT NULL,
    present         INTEGER NOT NULL,
    note            TEXT,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE INDEX application_materials_app ON application_materials(application_id, id);
CREATE TABLE verification_findings (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    department      TEXT NOT NULL,
    passed          INTEGER NOT NULL,
    note            TEXT NOT NULL,
    document_ref    TEXT NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE INDEX verification_findings_app ON verification_findings(application_id, id);
CREATE TABLE application_objections (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    content         TEXT NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE TABLE application_objection_resolutions (
    objection_id    INTEGER PRIMARY KEY REFERENCES application_objections(id),
    resolution      TEXT NOT NULL,
    resolved_by     INTEGER NOT NULL REFERENCES users(id),
    resolved_at     TEXT NOT NULL
);
-- Local figures a text leaves to the locality (YQ-10.1.3): value per year, with its source.
CREATE TABLE local_figures (
    id              INTEGER PRIMARY KEY,
    pack            TEXT NOT NULL,
    name            TEXT NOT NULL,
    year            INTEGER NOT NULL,
    value_text      TEXT NOT NULL,
    source          TEXT NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
-- ALLOCATION.md §11: bans, per ID number; a ban never disappears, it ends by date.
CREATE TABLE bans (
    id              INTEGER PRIMARY KEY,
    pack            TEXT NOT NULL,
    id_number       TEXT NOT NULL,
    case_key        TEXT NOT NULL,
    rule            TEXT NOT NULL,
    scope           TEXT NOT NULL,
    starts_on       TEXT NOT NULL,
    ends_on         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    application_id  INTEGER REFERENCES applications(instance_id),
    sale_id         INTEGER,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE INDEX bans_id_number ON bans(id_number);
-- ALLOCATION.md §6–§8: a sale (one project or batch) and its records.
CREATE TABLE sales (
    instance_id     INTEGER PRIMARY KEY REFERENCES instances(id),
    pack            TEXT NOT NULL,
    name            TEXT NOT NULL,
    listing_id      INTEGER NOT NULL REFERENCES listings(instance_id),
    county          TEXT NOT NULL,
    created_by      INTEGER NOT NULL REFERENCES users(id),
    created_at      TEXT NOT NULL
);
CREATE TABLE sale_plans (
    id              INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales(instance_id),
    content         TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE TABLE sale_tiers (
    id              INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales(instance_id),
    tier            INTEGER NOT NULL,
    opened_by       INTEGER NOT NULL REFERENCES users(id),
    opened_at       TEXT NOT NULL,
    UNIQUE (sale_id, tier)
);
CREATE TABLE sale_entrants (
    id              INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales(instance_id),
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    tier            INTEGER NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL,
    UNIQUE (sale_id, application_id)
);
-- One entrant list and draw per registration round of a sale (YQ-16's later tiers draw again).
CREATE TABLE lotteries (
    id              INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales(instance_id),
    round           INTEGER NOT NULL,
    entrants_text   TEXT NOT NULL,
    entrants_sha256 TEXT NOT NULL,
    fixed_by        INTEGER NOT NULL REFERENCES users(id),
    fixed_at        TEXT NOT NULL,
    UNIQUE (sale_id, round)
);
CREATE TABLE lottery_draws (
    lottery_id      INTEGER PRIMARY KEY REFERENCES lotteries(id),
    seed            TEXT NOT NULL,
    algorithm       TEXT NOT NULL,
    witnesses       TEXT NOT NULL,
    order_text      TEXT NOT NULL,
    drawn_by        INTEGER NOT NULL REFERENCES users(id),
    drawn_at        TEXT NOT NULL
);
CREATE TABLE selections (
    id              INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales(instance_id),
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    outcome         TEXT NOT NULL CHECK (outcome IN ('chosen', 'absent', 'declined', 'abandoned', 'no_contract')),
    unit_id         INTEGER REFERENCES units(id),
    deposit_fen     INTEGER,
    note            TEXT,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE INDEX selections_sale ON selections(sale_id, id);
CREATE TABLE sale_contracts (
    id              INTEGER PRIMARY KEY,
    sale_id         INTEGER NOT NULL REFERENCES sales(instance_id),
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    unit_id         INTEGER NOT NULL REFERENCES units(id) UNIQUE,
    price_fen       INTEGER NOT NULL CHECK (price_fen > 0),
    payment         TEXT NOT NULL,
    content         TEXT NOT NULL,
    signed_on       TEXT NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL,
    UNIQUE (application_id)
);
-- ALLOCATION.md §9, issue 13: every bought unit's status, as events; current = newest.
CREATE TABLE unit_events (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    status          TEXT NOT NULL,
    ref_kind        TEXT,
    ref_id          INTEGER,
    note            TEXT,
    recorded_by     INTEGER NOT NULL REFERENCES users(id),
    recorded_at     TEXT NOT NULL
);
CREATE INDEX unit_events_unit ON unit_events(unit_id, id);
-- Every read of a household's full record: who, when, why (XY-5; issue 13).
CREATE TABLE pii_reads (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(instance_id),
    reader_id       INTEGER NOT NULL REFERENCES users(id),
    purpose         TEXT NOT NULL,
    read_at         TEXT NOT NULL
);
CREATE INDEX pii_reads_app ON pii_reads(application_id);

CREATE TRIGGER applications_no_update BEFORE UPDATE ON applications BEGIN SELECT RAISE(ABORT, 'applications is append-only'); END;
CREATE TRIGGER applications_no_delete BEFORE DELETE ON applications BEGIN SELECT RAISE(ABORT, 'applications is append-only'); END;
CREATE TRIGGER household_snapshots_no_update BEFORE UPDATE ON household_snapshots BEGIN SELECT RAISE(ABORT, 'household_snapshots is append-only'); END;
CREATE TRIGGER household_snapshots_no_delete BEFORE DELETE ON household_snapshots BEGIN SELECT RAISE(ABORT, 'household_snapshots is append-only'); END;
CREATE TRIGGER household_members_no_update BEFORE UPDATE ON household_members BEGIN SELECT RAISE(ABORT, 'household_members is append-only'); END;
CREATE TRIGGER household_members_no_delete BEFORE DELETE ON household_members BEGIN SELECT RAISE(ABORT, 'household_members is append-only'); END;
CREATE TRIGGER application_materials_no_update BEFORE UPDATE ON application_materials BEGIN SELECT RAISE(ABORT, 'application_materials is append-only'); END;
CREATE TRIGGER application_materials_no_delete BEFORE DELETE ON application_materials BEGIN SELECT RAISE(ABORT, 'application_materials is append-only'); END;
CREATE TRIGGER verification_findings_no_update BEFORE UPDATE ON verification_findings BEGIN SELECT RAISE(ABORT, 'verification_findings is append-only'); END;
CREATE TRIGGER verification_findings_no_delete BEFORE DELETE ON verification_findings BEGIN SELECT RAISE(ABORT, 'verification_findings is append-only'); END;
CREATE TRIGGER application_objections_no_update BEFORE UPDATE ON application_objections BEGIN SELECT RAISE(ABORT, 'application_objections is append-only'); END;
CREATE TRIGGER application_objections_no_delete BEFORE DELETE ON application_objections BEGIN SELECT RAISE(ABORT, 'application_objections is append-only'); END;
CREATE TRIGGER application_objection_resolutions_no_update BEFORE UPDATE ON application_objection_resolutions BEGIN SELECT RAISE(ABORT, 'application_objection_resolutions is append-only'); END;
CREATE TRIGGER application_objection_resolutions_no_delete BEFORE DELETE ON application_objection_resolutions BEGIN SELECT RAISE(ABORT, 'application_objection_resolutions is append-only'); END;
CREATE TRIGGER local_figures_no_update BEFORE UPDATE ON local_figures BEGIN SELECT RAISE(ABORT, 'local_figures is append-only'); END;
CREATE TRIGGER local_figures_no_delete BEFORE DELETE ON local_figures BEGIN SELECT RAISE(ABORT, 'local_figures is append-only'); END;
CREATE TRIGGER bans_no_update BEFORE UPDATE ON bans BEGIN SELECT RAISE(ABORT, 'bans is append-only'); END;
CREATE TRIGGER bans_no_delete BEFORE DELETE ON bans BEGIN SELECT RAISE(ABORT, 'bans is append-only'); END;
CREATE TRIGGER sales_no_update BEFORE UPDATE ON sales BEGIN SELECT RAISE(ABORT, 'sales is append-only'); END;
CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales BEGIN SELECT RAISE(ABORT, 'sales is append-only'); END;
CREATE TRIGGER sale_plans_no_update BEFORE UPDATE ON sale_plans BEGIN SELECT RAISE(ABORT, 'sale_plans is append-only'); END;
CREATE TRIGGER sale_plans_no_delete BEFORE DELETE ON sale_plans BEGIN SELECT RAISE(ABORT, 'sale_plans is append-only'); END;
CREATE TRIGGER sale_tiers_no_update BEFORE UPDATE ON sale_tiers BEGIN SELECT RAISE(ABORT, 'sale_tiers is append-only'); END;
CREATE TRIGGER sale_tiers_no_delete BEFORE DELETE ON sale_tiers BEGIN SELECT RAISE(ABORT, 'sale_tiers is append-only'); END;
CREATE TRIGGER sale_entrants_no_update BEFORE UPDATE ON sale_entrants BEGIN SELECT RAISE(ABORT, 'sale_entrants is append-only'); END;
CREATE TRIGGER sale_entrants_no_delete BEFORE DELETE ON sale_entrants BEGIN SELECT RAISE(ABORT, 'sale_entrants is append-only'); END;
CREATE TRIGGER lotteries_no_update BEFORE UPDATE ON lotteries BEGIN SELECT RAISE(ABORT, 'lotteries is append-only'); END;
CREATE TRIGGER lotteries_no_delete BEFORE DELETE ON lotteries BEGIN SELECT RAISE(ABORT, 'lotteries is append-only'); END;
CREATE TRIGGER lottery_draws_no_update BEFORE UPDATE ON lottery_draws BEGIN SELECT RAISE(ABORT, 'lottery_draws is append-only'); END;
CREATE TRIGGER lottery_draws_no_delete BEFORE DELETE ON lottery_draws BEGIN SELECT RAISE(ABORT, 'lottery_draws is append-only'); END;
CREATE TRIGGER selections_no_update BEFORE UPDATE ON selections BEGIN SELECT RAISE(ABORT, 'selections is append-only'); END;
CREATE TRIGGER selections_no_delete BEFORE DELETE ON selections BEGIN SELECT RAISE(ABORT, 'selections is append-only'); END;
CREATE TRIGGER sale_contracts_no_update BEFORE UPDATE ON sale_contracts BEGIN SELECT RAISE(ABORT, 'sale_contracts is append-only'); END;
CREATE TRIGGER sale_contracts_no_delete BEFORE DELETE ON sale_contracts BEGIN SELECT RAISE(ABORT, 'sale_contracts is append-only'); END;
CREATE TRIGGER unit_events_no_update BEFORE UPDATE ON unit_events BEGIN SELECT RAISE(ABORT, 'unit_events is append-only'); END;
CREATE TRIGGER unit_events_no_delete BEFORE DELETE ON unit_events BEGIN SELECT RAISE(ABORT, 'unit_events is append-only'); END;
CREATE TRIGGER pii_reads_no_update BEFORE UPDATE ON pii_reads BEGIN SELECT RAISE(ABORT, 'pii_reads is append-only'); END;
CREATE TRIGGER pii_reads_no_delete BEFORE DELETE ON pii_reads BEGIN SELECT RAISE(ABORT, 'pii_reads is append-only'); END;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
