-- +goose Up
-- Seminars and memberships. This database belongs to the content service;
-- user_id refers to the user service's users by value only (no foreign key
-- can cross databases, and none is wanted: the services deploy separately).
CREATE TABLE seminars (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    capacity   integer     NOT NULL CHECK (capacity > 0),
    count      integer     NOT NULL CHECK (count > 0),
    time       time        NOT NULL,
    online     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Kept by the memberships trigger below, never by application code.
    active_participants integer NOT NULL DEFAULT 0 CHECK (active_participants >= 0),
    -- Invariant 1, as data: whatever code runs, a join that would overbook
    -- and a capacity cut below the active participants both fail here.
    CONSTRAINT seminars_within_capacity CHECK (active_participants <= capacity)
);
CREATE INDEX seminars_newest ON seminars (created_at DESC, id DESC);

CREATE TABLE memberships (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seminar_id bigint      NOT NULL REFERENCES seminars (id),
    user_id    bigint      NOT NULL CHECK (user_id > 0),
    role       text        NOT NULL CHECK (role IN ('participant', 'instructor')),
    joined_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    is_active  boolean     NOT NULL DEFAULT true,
    dropped_at timestamptz,
    -- Invariant 2: one membership per user and seminar, in any role, active
    -- or dropped (a dropped participant can never rejoin).
    CONSTRAINT memberships_one_per_user UNIQUE (seminar_id, user_id),
    CONSTRAINT memberships_drop_consistent CHECK (
        (is_active AND dropped_at IS NULL) OR
        (NOT is_active AND dropped_at IS NOT NULL AND role = 'participant'))
);
-- Invariant 3: an instructor is in charge of at most one seminar. Two racing
-- "create" or "join as instructor" requests cannot both commit.
CREATE UNIQUE INDEX memberships_one_charge ON memberships (user_id) WHERE role = 'instructor';
CREATE INDEX memberships_by_user ON memberships (user_id, joined_at);

-- Keeps seminars.active_participants equal to the active participant rows,
-- so the CHECK above sees every join and drop. Dropping is one-way.
-- +goose StatementBegin
CREATE FUNCTION memberships_count_active() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    delta integer := 0;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.seminar_id <> OLD.seminar_id OR NEW.user_id <> OLD.user_id OR NEW.role <> OLD.role THEN
            RAISE EXCEPTION 'a membership cannot move' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.is_active AND NOT OLD.is_active THEN
            RAISE EXCEPTION 'a dropped participant cannot rejoin'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'memberships_no_rejoin';
        END IF;
        IF OLD.is_active AND NOT NEW.is_active THEN
            delta := -1;
        END IF;
    ELSIF NEW.role = 'participant' AND NEW.is_active THEN
        delta := 1;
    END IF;
    IF delta <> 0 THEN
        UPDATE seminars SET active_participants = active_participants + delta WHERE id = NEW.seminar_id;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER memberships_count_active
    AFTER INSERT OR UPDATE ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_count_active();

-- +goose Down
DROP TABLE memberships, seminars;
DROP FUNCTION memberships_count_active;
