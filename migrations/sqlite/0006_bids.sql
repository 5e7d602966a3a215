-- Issue 4: a round's tender terms, developers' sealed bids (a newer bid of the same company
-- supersedes its older one until the deadline), and the opening. Append-only.
CREATE TABLE tenders (
    round_id     INTEGER PRIMARY KEY REFERENCES rounds(instance_id),
    terms        TEXT NOT NULL,
    deadline_at  TEXT NOT NULL,
    opening_at   TEXT NOT NULL,
    set_by       INTEGER NOT NULL REFERENCES users(id),
    set_at       TEXT NOT NULL
);
CREATE TABLE bids (
    id             INTEGER PRIMARY KEY,
    round_id       INTEGER NOT NULL REFERENCES rounds(instance_id),
    developer_org  TEXT NOT NULL,
    payload        TEXT NOT NULL,
    submitted_by   INTEGER NOT NULL REFERENCES users(id),
    submitted_at   TEXT NOT NULL
);
CREATE INDEX bids_round ON bids(round_id, developer_org, id);
CREATE TABLE bid_openings (
    round_id   INTEGER PRIMARY KEY REFERENCES rounds(instance_id),
    opened_by  INTEGER NOT NULL REFERENCES users(id),
    opened_at  TEXT NOT NULL
);
CREATE TRIGGER tenders_no_update BEFORE UPDATE ON tenders
BEGIN SELECT RAISE(ABORT, 'tenders is append-only'); END;
CREATE TRIGGER tenders_no_delete BEFORE DELETE ON tenders
BEGIN SELECT RAISE(ABORT, 'tenders is append-only'); END;
CREATE TRIGGER bids_no_update BEFORE UPDATE ON bids
BEGIN SELECT RAISE(ABORT, 'bids is append-only'); END;
CREATE TRIGGER bids_no_delete BEFORE DELETE ON bids
BEGIN SELECT RAISE(ABORT, 'bids is append-only'); END;
CREATE TRIGGER bid_openings_no_update BEFORE UPDATE ON bid_openings
BEGIN SELECT RAISE(ABORT, 'bid_openings is append-only'); END;
CREATE TRIGGER bid_openings_no_delete BEFORE DELETE ON bid_openings
BEGIN SELECT RAISE(ABORT, 'bid_openings is append-only'); END;
