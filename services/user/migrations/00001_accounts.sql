-- +goose Up
-- Users, their profiles and their API tokens. This database belongs to the
-- user service alone; other services know users only by id.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    first_name    text        NOT NULL DEFAULT '',
    last_name     text        NOT NULL DEFAULT '',
    last_login    timestamptz,
    date_joined   timestamptz NOT NULL DEFAULT now(),
    -- Invariant 4: two racing signups cannot both get a username; the loser's
    -- INSERT fails on this index and is answered 400.
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_username_length CHECK (char_length(username) BETWEEN 1 AND 150)
);

CREATE TABLE participants (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint  NOT NULL REFERENCES users (id),
    university text    NOT NULL DEFAULT '',
    accepted   boolean NOT NULL DEFAULT true,
    -- A user has at most one participant profile; "become a participant"
    -- relies on this to answer 400 the second time, even when racing.
    CONSTRAINT participants_user_key UNIQUE (user_id)
);

CREATE TABLE instructors (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint  NOT NULL REFERENCES users (id),
    company text    NOT NULL DEFAULT '',
    year    integer CHECK (year >= 0),
    CONSTRAINT instructors_user_key UNIQUE (user_id)
);

CREATE TABLE tokens (
    -- SHA-256 of the token; the token itself is never stored.
    digest     bytea       PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz
);
CREATE INDEX tokens_user_id ON tokens (user_id);

-- Invariant 5: a user exists only with at least one profile. Checked at
-- COMMIT (deferred), because signup inserts the user before its profile.
-- +goose StatementBegin
CREATE FUNCTION users_require_profile() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM participants WHERE user_id = NEW.id)
       AND NOT EXISTS (SELECT 1 FROM instructors WHERE user_id = NEW.id) THEN
        RAISE EXCEPTION 'user % has no profile', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'users_require_profile';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER users_require_profile
    AFTER INSERT ON users DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION users_require_profile();

-- Profiles are never lost (the contract): refuse deletes outright.
-- +goose StatementBegin
CREATE FUNCTION profiles_are_permanent() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'profiles cannot be deleted' USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER participants_permanent BEFORE DELETE ON participants
    FOR EACH ROW EXECUTE FUNCTION profiles_are_permanent();
CREATE TRIGGER instructors_permanent BEFORE DELETE ON instructors
    FOR EACH ROW EXECUTE FUNCTION profiles_are_permanent();

-- +goose Down
DROP TABLE tokens, instructors, participants, users;
DROP FUNCTION users_require_profile, profiles_are_permanent;
