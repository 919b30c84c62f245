-- Migration 1: every tree in one table, ordered by (tree, key). bytea compares like memcmp
-- (then shorter first), which is the key order the Backend trait promises.
CREATE TABLE marketbot_kv (
    tree text NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (tree, key)
);

-- Backend::generate_id: nextval is outside transactions, so ids may have gaps but never repeat.
CREATE SEQUENCE marketbot_ids;

-- The leader lease: one row, name 'leader'. term grows by one at each change of holder.
CREATE TABLE marketbot_lease (
    name text PRIMARY KEY,
    holder text NOT NULL,
    term bigint NOT NULL,
    expires timestamptz NOT NULL
);
