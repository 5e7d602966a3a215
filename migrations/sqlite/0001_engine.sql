-- anju schema, SQLite. Money in whole fen (INTEGER), areas in hundredths of a m² (INTEGER):
-- integers are the only exact numbers both backends sum alike. Times are RFC 3339 UTC text.

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    org         TEXT,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE workflow_defs (
    hash            TEXT PRIMARY KEY,
    key             TEXT NOT NULL,
    workflow_source TEXT NOT NULL,
    policy_source   TEXT NOT NULL,
    first_seen_at   TEXT NOT NULL
);

CREATE TABLE instances (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('round', 'listing')),
    workflow_key  TEXT NOT NULL,
    def_hash      TEXT NOT NULL REFERENCES workflow_defs(hash),
    state         TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    entered_at    TEXT NOT NULL,
    deadline_name TEXT,
    deadline_due  TEXT,
    created_at    TEXT NOT NULL
);

-- Append-only: one row per action, never updated or deleted.
CREATE TABLE history (
    id          INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances(id),
    version     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor_id    INTEGER NOT NULL REFERENCES users(id),
    actor_name  TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    comment     TEXT,
    payload     TEXT NOT NULL,
    def_hash    TEXT NOT NULL,
    UNIQUE (instance_id, version)
);
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;

CREATE TABLE rounds (
    instance_id  INTEGER PRIMARY KEY REFERENCES instances(id),
    pack         TEXT NOT NULL,
    name         TEXT NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES users(id)
);

CREATE TABLE survey_returns (
    id               INTEGER PRIMARY KEY,
    round_id         INTEGER NOT NULL REFERENCES rounds(instance_id),
    respondent       TEXT NOT NULL,
    respondent_kind  TEXT NOT NULL,
    household_type   TEXT NOT NULL,
    band             TEXT NOT NULL,
    units            INTEGER NOT NULL CHECK (units > 0),
    location         TEXT NOT NULL,
    entered_by       INTEGER NOT NULL REFERENCES users(id),
    entered_at       TEXT NOT NULL
);
CREATE INDEX survey_returns_round ON survey_returns(round_id);

CREATE TABLE listings (
    instance_id        INTEGER PRIMARY KEY REFERENCES instances(id),
    round_id           INTEGER NOT NULL REFERENCES rounds(instance_id),
    developer_org      TEXT NOT NULL,
    created_by         INTEGER NOT NULL REFERENCES users(id),
    project_name       TEXT NOT NULL,
    address            TEXT NOT NULL,
    construction_state TEXT NOT NULL,
    topped_out         INTEGER NOT NULL,
    delivery_date      TEXT,
    offer_scope        TEXT NOT NULL,
    decoration         TEXT NOT NULL
);
CREATE INDEX listings_round ON listings(round_id);

CREATE TABLE documents (
    id           INTEGER PRIMARY KEY,
    listing_id   INTEGER NOT NULL REFERENCES listings(instance_id),
    kind         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL,
    uploaded_by  INTEGER NOT NULL REFERENCES users(id),
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX documents_listing ON documents(listing_id);

-- A listing's unit lists; the newest one is current, older ones stay.
CREATE TABLE unit_lists (
    id               INTEGER PRIMARY KEY,
    listing_id       INTEGER NOT NULL REFERENCES listings(instance_id),
    document_id      INTEGER NOT NULL REFERENCES documents(id),
    unit_count       INTEGER NOT NULL,
    gross_area_centi INTEGER NOT NULL,
    uploaded_by      INTEGER NOT NULL REFERENCES users(id),
    uploaded_at      TEXT NOT NULL
);
CREATE INDEX unit_lists_listing ON unit_lists(listing_id);

CREATE TABLE units (
    id                INTEGER PRIMARY KEY,
    unit_list_id      INTEGER NOT NULL REFERENCES unit_lists(id),
    building          TEXT NOT NULL,
    stair_unit        TEXT NOT NULL,
    floor             INTEGER NOT NULL,
    room              TEXT NOT NULL,
    layout            TEXT NOT NULL,
    gross_area_centi  INTEGER NOT NULL CHECK (gross_area_centi > 0),
    usable_area_centi INTEGER NOT NULL CHECK (usable_area_centi > 0),
    orientation       TEXT NOT NULL,
    mortgaged         INTEGER NOT NULL,
    seized            INTEGER NOT NULL,
    UNIQUE (unit_list_id, building, stair_unit, room)
);

CREATE TABLE title_signoffs (
    id         INTEGER PRIMARY KEY,
    listing_id INTEGER NOT NULL REFERENCES listings(instance_id),
    clear      INTEGER NOT NULL,
    comment    TEXT,
    signed_by  INTEGER NOT NULL REFERENCES users(id),
    signed_at  TEXT NOT NULL
);

CREATE TABLE objections (
    id          INTEGER PRIMARY KEY,
    listing_id  INTEGER NOT NULL REFERENCES listings(instance_id),
    content     TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE TABLE objection_resolutions (
    objection_id INTEGER PRIMARY KEY REFERENCES objections(id),
    resolution   TEXT NOT NULL,
    resolved_by  INTEGER NOT NULL REFERENCES users(id),
    resolved_at  TEXT NOT NULL
);

-- "In principle" limits passed by a recorded exception: who asked, why, who approved.
CREATE TABLE policy_exceptions (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES rounds(instance_id),
    listing_id   INTEGER REFERENCES listings(instance_id),
    rule         TEXT NOT NULL,
    check_id     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    requested_by INTEGER NOT NULL REFERENCES users(id),
    requested_at TEXT NOT NULL
);
CREATE TABLE exception_decisions (
    exception_id INTEGER PRIMARY KEY REFERENCES policy_exceptions(id),
    approved     INTEGER NOT NULL,
    comment      TEXT NOT NULL,
    decided_by   INTEGER NOT NULL REFERENCES users(id),
    decided_at   TEXT NOT NULL
);

-- Valuation reports; a later one supersedes an earlier one, nothing is overwritten.
CREATE TABLE valuations (
    id                       INTEGER PRIMARY KEY,
    listing_id               INTEGER NOT NULL REFERENCES listings(instance_id),
    land_per_m2_fen          INTEGER NOT NULL CHECK (land_per_m2_fen > 0),
    construction_per_m2_fen  INTEGER NOT NULL CHECK (construction_per_m2_fen > 0),
    profit_rate              TEXT NOT NULL,
    ceiling_per_m2_fen       INTEGER NOT NULL CHECK (ceiling_per_m2_fen > 0),
    market_price_per_m2_fen  INTEGER NOT NULL CHECK (market_price_per_m2_fen > 0),
    market_rent_per_m2_fen   INTEGER NOT NULL CHECK (market_rent_per_m2_fen > 0),
    appraiser_org            TEXT NOT NULL,
    report_date              TEXT NOT NULL,
    document_id              INTEGER REFERENCES documents(id),
    recorded_by              INTEGER NOT NULL REFERENCES users(id),
    recorded_at              TEXT NOT NULL
);

-- Prices agreed in negotiation and decided by the leading group.
CREATE TABLE price_records (
    id                INTEGER PRIMARY KEY,
    listing_id        INTEGER NOT NULL REFERENCES listings(instance_id),
    kind              TEXT NOT NULL CHECK (kind IN ('agreed', 'final')),
    price_per_m2_fen  INTEGER NOT NULL CHECK (price_per_m2_fen > 0),
    total_fen         INTEGER NOT NULL CHECK (total_fen > 0),
    ceiling_per_m2_fen INTEGER NOT NULL,
    valuation_id      INTEGER NOT NULL REFERENCES valuations(id),
    history_id        INTEGER NOT NULL REFERENCES history(id),
    recorded_by       INTEGER NOT NULL REFERENCES users(id),
    recorded_at       TEXT NOT NULL,
    CHECK (price_per_m2_fen <= ceiling_per_m2_fen)
);

CREATE TABLE idempotency (
    user_id      INTEGER NOT NULL REFERENCES users(id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Official holiday calendars (State Council notices), one file a year, as imported.
CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
