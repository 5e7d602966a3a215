-- Issue 19: user administration as an append-only record; API tokens and page sessions that
-- expire and end; sign-in attempts. Only SHA-256 hashes of secrets are stored. Times are RFC 3339
-- UTC text.

-- Who created whom (NULL: the command line, or the first start on an empty database).
ALTER TABLE users ADD COLUMN created_by INTEGER REFERENCES users(id);

-- An API token (`token`, sent as a bearer) or a page session (`session`, the cookie of a signed-in
-- person). It works until it expires or has an end below; neither is ever edited.
CREATE TABLE credentials (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL CHECK (kind IN ('token', 'session')),
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    created_by  INTEGER REFERENCES users(id)
);
CREATE INDEX credentials_user ON credentials(user_id, kind);
CREATE TABLE credential_ends (
    credential_id INTEGER PRIMARY KEY REFERENCES credentials(id),
    ended_at      TEXT NOT NULL,
    ended_by      INTEGER REFERENCES users(id),
    reason        TEXT NOT NULL CHECK (reason IN ('revoked', 'rotated', 'signed_out', 'disabled'))
);

-- Every act of user administration, by whom (NULL: the command line). A flag names an event the
-- housing bureau and the supervisors must see (a new account of a company bidding in an open
-- tender). Whether a user is disabled is its newest disabled/enabled event.
CREATE TABLE user_events (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    actor_id  INTEGER REFERENCES users(id),
    action    TEXT NOT NULL CHECK (action IN ('created', 'disabled', 'enabled', 'tokens_revoked', 'token_rotated')),
    detail    TEXT,
    flag      TEXT
);
CREATE INDEX user_events_user ON user_events(user_id, id);

-- Sign-in attempts that failed (a wrong, expired or ended token), with the peer's address.
CREATE TABLE sign_in_failures (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    via     TEXT NOT NULL CHECK (via IN ('page', 'api')),
    peer    TEXT,
    user_id INTEGER REFERENCES users(id),
    reason  TEXT NOT NULL
);

CREATE TRIGGER credentials_no_update BEFORE UPDATE ON credentials
BEGIN SELECT RAISE(ABORT, 'credentials is append-only'); END;
CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials
BEGIN SELECT RAISE(ABORT, 'credentials is append-only'); END;
CREATE TRIGGER credential_ends_no_update BEFORE UPDATE ON credential_ends
BEGIN SELECT RAISE(ABORT, 'credential_ends is append-only'); END;
CREATE TRIGGER credential_ends_no_delete BEFORE DELETE ON credential_ends
BEGIN SELECT RAISE(ABORT, 'credential_ends is append-only'); END;
CREATE TRIGGER user_events_no_update BEFORE UPDATE ON user_events
BEGIN SELECT RAISE(ABORT, 'user_events is append-only'); END;
CREATE TRIGGER user_events_no_delete BEFORE DELETE ON user_events
BEGIN SELECT RAISE(ABORT, 'user_events is append-only'); END;
CREATE TRIGGER sign_in_failures_no_update BEFORE UPDATE ON sign_in_failures
BEGIN SELECT RAISE(ABORT, 'sign_in_failures is append-only'); END;
CREATE TRIGGER sign_in_failures_no_delete BEFORE DELETE ON sign_in_failures
BEGIN SELECT RAISE(ABORT, 'sign_in_failures is append-only'); END;
-- A user's name, role and company never change either.
CREATE TRIGGER users_no_update BEFORE UPDATE ON users
BEGIN SELECT RAISE(ABORT, 'users is append-only'); END;
CREATE TRIGGER users_no_delete BEFORE DELETE ON users
BEGIN SELECT RAISE(ABORT, 'users is append-only'); END;

-- The tokens issued before this migration become credentials that expire a year after issue.
INSERT INTO credentials (user_id, kind, secret_hash, created_at, expires_at, created_by)
SELECT id, 'token', token_hash, created_at, strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '+365 days'), NULL FROM users;
INSERT INTO user_events (at, user_id, actor_id, action, detail)
SELECT created_at, id, NULL, 'created', 'created before user administration was recorded' FROM users;
