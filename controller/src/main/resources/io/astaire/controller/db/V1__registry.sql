-- The registry, one row per item. Bodies are the model's JSON (FunctionSpec, ChainSpec, RuleSpec,
-- the settings); version is the global version at which the item was last written (its ETag).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('version', 0), ('next_spi', 1);

CREATE TABLE functions (
    name    TEXT PRIMARY KEY,
    body    TEXT NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE chains (
    name    TEXT PRIMARY KEY,
    spi     INTEGER NOT NULL UNIQUE,
    body    TEXT NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE rules (
    name    TEXT PRIMARY KEY,
    body    TEXT NOT NULL,
    version INTEGER NOT NULL
);

-- A single row: the ingress, the egress and the default chain.
CREATE TABLE settings (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    body    TEXT NOT NULL,
    version INTEGER NOT NULL
);
