/**
 * Forward-only schema migrations. Entry i moves `PRAGMA user_version` from i
 * to i + 1; a database with a newer version than this build knows is refused.
 * Times are integer milliseconds since the Unix epoch. Indexes are few on
 * purpose: every one costs a page write per send.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: instances, sessions, messages, forwardings.
  `
  CREATE TABLE instances (
    name          TEXT PRIMARY KEY,   -- lower-case
    registered_at INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    renamed_at    INTEGER             -- last rename into this name (once-per-hour rule)
  ) WITHOUT ROWID;

  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,      -- hex SHA-256 of the token; the token itself is never stored
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used  INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_by_name ON sessions(name);

  CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,   -- max(id)+1; retention never deletes the newest row, so ids are never reused
    sender     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,         -- direct | broadcast | system
    content    TEXT NOT NULL,
    data       TEXT,                  -- JSON object text
    reply_to   INTEGER,
    created_at INTEGER NOT NULL,
    read_at    INTEGER,
    large_file TEXT                   -- path of the large-message copy, if any
  );
  -- One index serves the inbox (unread first: is_read = 0) and the received half of history (is_read = 1).
  CREATE INDEX messages_inbox ON messages(recipient, read_at IS NOT NULL, id);
  CREATE INDEX messages_from ON messages(sender, id);
  CREATE INDEX messages_read_at ON messages(read_at) WHERE read_at IS NOT NULL;

  CREATE TABLE forwards (
    old_name   TEXT PRIMARY KEY,
    new_name   TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: full-text search over message content, filled behind the request path.
  `
  CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='id');
  CREATE TABLE search_state (
    singleton     INTEGER PRIMARY KEY CHECK (singleton = 1),
    indexed_up_to INTEGER NOT NULL
  );
  INSERT INTO search_state VALUES (1, 0);
  `,
  // 3: which claude-ipc-mcp messages were imported (ipc import-legacy), so importing them again adds nothing.
  `
  CREATE TABLE legacy_imports (
    fingerprint TEXT PRIMARY KEY,     -- hex SHA-256 of the legacy row's id, names, time and content
    message_id  INTEGER NOT NULL      -- our messages.id
  ) WITHOUT ROWID;
  `,
  // 4: history belongs to an identity, not to a name string (issue 10, hole 9). A name
  // registered afresh gets a new identity; a rename keeps it. Messages record the
  // identities of their sender and recipient (NULL: no holder yet, or none known), and
  // history, search and read go by identity, so whoever takes a released name later
  // never reads its earlier holder's messages. Existing messages go to the current
  // holder of their name, or, for a name renamed away within its forwarding, to the new name.
  `
  CREATE TABLE identities (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused
    first_name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  ALTER TABLE instances ADD COLUMN identity INTEGER;   -- identities.id of the holder
  INSERT INTO identities (first_name, created_at) SELECT name, registered_at FROM instances ORDER BY name;
  CREATE INDEX identities_by_first_name ON identities(first_name);
  UPDATE instances SET identity = (SELECT id FROM identities WHERE first_name = instances.name);
  DROP INDEX identities_by_first_name;

  ALTER TABLE messages ADD COLUMN sender_id INTEGER;
  ALTER TABLE messages ADD COLUMN recipient_id INTEGER;
  CREATE TEMP TABLE holder AS
    SELECT name, identity FROM instances
    UNION ALL
    SELECT f.old_name, i.identity FROM forwards f JOIN instances i ON i.name = f.new_name
      WHERE f.old_name NOT IN (SELECT name FROM instances);
  CREATE UNIQUE INDEX temp.holder_name ON holder(name);
  UPDATE messages SET
    sender_id = (SELECT identity FROM holder WHERE name = messages.sender),
    recipient_id = (SELECT identity FROM holder WHERE name = messages.recipient);
  DROP TABLE temp.holder;

  DROP INDEX messages_from;
  CREATE INDEX messages_sent ON messages(sender_id, id);
  CREATE INDEX messages_received ON messages(recipient_id, id);
  `,
  // 5: joined machines (public keys only), one-time pairing codes (hashes only), and which machine a session belongs to.
  `
  CREATE TABLE machines (
    name         TEXT PRIMARY KEY,
    public_key   TEXT NOT NULL,   -- SPKI PEM of the machine's ECDSA P-256 key; the private key never leaves it
    created_at   INTEGER NOT NULL,
    last_seen    INTEGER,
    last_address TEXT,
    revoked_at   INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE invites (
    code_hash  TEXT PRIMARY KEY,  -- hex SHA-256 of the one-time code
    machine    TEXT,              -- the name given with ipc invite --name, if any
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
  ) WITHOUT ROWID;
  ALTER TABLE sessions ADD COLUMN machine TEXT;
  `,
  // 6: file claims, channels and threads (docs/coordination.md): a name's claim on a path or glob of a project, until expires_at.
  `
  CREATE TABLE claims (
    project    TEXT NOT NULL,       -- absolute path of the project root (git root, else a working directory)
    path       TEXT NOT NULL,       -- relative to the project root, '/'-separated; may be a glob
    holder     TEXT NOT NULL,       -- the holding name (follows renames)
    shared     INTEGER NOT NULL,    -- 1: coexists with other shared claims
    reason     TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (project, path, holder)
  ) WITHOUT ROWID;
  CREATE INDEX claims_by_holder ON claims(holder);

  -- Channels (#name): members persist; a post is stored once as a record (recipient '#name', read at once)
  -- and once per member as that member's copy (recipient the member, channel '#name').
  CREATE TABLE channel_members (
    channel   TEXT NOT NULL,        -- '#name', lower-case
    member    TEXT NOT NULL,        -- follows renames
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (channel, member)
  ) WITHOUT ROWID;
  CREATE INDEX channel_members_by_member ON channel_members(member);
  ALTER TABLE messages ADD COLUMN channel TEXT;
  -- Threads: the replies of a message (few messages are replies, so the index stays small).
  CREATE INDEX messages_replies ON messages(reply_to) WHERE reply_to IS NOT NULL;
  `,
  // 7: the cluster (docs/cluster.md). Used only with --nats.
  // Which broker this is; cross-broker mail not yet published to JetStream; cross-broker message ids
  // already committed here (a redelivery is a no-op: exactly once in the inbox).
  `
  CREATE TABLE cluster_node (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id        TEXT NOT NULL           -- random, stable across restarts; prefix of every Nats-Msg-Id this broker publishes
  );
  CREATE TABLE cluster_outbox (
    seq     INTEGER PRIMARY KEY,      -- publish order
    msg_id  TEXT NOT NULL,            -- Nats-Msg-Id: <node id>.<messages.id>[.<recipient>]
    subject TEXT NOT NULL,
    payload TEXT NOT NULL             -- JSON: from, to, kind, content, data, created_at
  );
  CREATE TABLE cluster_received (
    origin      TEXT PRIMARY KEY,     -- the Nats-Msg-Id of a message committed here
    received_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 8: the cluster's replies (docs/cluster.md#2-message-flows): which local message a cross-broker message
  // became, so a reply to it names the sender's message, and a reply from another broker finds the local one.
  `
  ALTER TABLE cluster_received ADD COLUMN message_id INTEGER;
  CREATE INDEX cluster_received_by_message ON cluster_received(message_id) WHERE message_id IS NOT NULL;
  `,
  // 9: which joined machine registered an identity (issue 23): NULL for one registered on the broker's own machine.
  // A machine registers or takes over only names whose identity it registered, or that the owner gave it
  // (ipc machines give). Identities whose sessions all came from one machine are that machine's.
  `
  ALTER TABLE identities ADD COLUMN machine TEXT;
  UPDATE identities SET machine = (
    SELECT min(s.machine) FROM sessions s JOIN instances i ON i.name = s.name WHERE i.identity = identities.id
  ) WHERE id IN (
    SELECT i.identity FROM instances i JOIN sessions s ON s.name = i.name
    GROUP BY i.identity HAVING count(DISTINCT s.machine) = 1 AND count(*) = count(s.machine)
  );
  `,
  // 10: the received half of history goes through the inbox index (issue 25): an index on recipient_id
  // cost about a sixth of a stored row's CPU on every send. Instead each identity lists the names it held
  // (a few: renames are once an hour); its received messages are the inbox index's ranges of those
  // names whose recipient_id is the identity, below until_id once it let the name go.
  // The two remaining indexes lose their trailing id: every index entry ends with the rowid, which is
  // id, so they keep the same order and serve the same queries with smaller entries (fewer page splits).
  `
  CREATE TABLE held_names (
    identity INTEGER NOT NULL,
    name     TEXT NOT NULL,
    until_id INTEGER,                 -- NULL while held; else the highest message id when it was let go
    PRIMARY KEY (identity, name)
  ) WITHOUT ROWID;
  -- One pass over the table (DISTINCT keeps a small temporary b-tree of the pairs), then each pair's last id.
  INSERT INTO held_names (identity, name, until_id)
    SELECT DISTINCT recipient_id, recipient, NULL FROM messages NOT INDEXED WHERE recipient_id IS NOT NULL;
  UPDATE held_names SET until_id = (SELECT max(id) FROM messages WHERE recipient_id = held_names.identity AND recipient = held_names.name);
  INSERT INTO held_names (identity, name, until_id)
    SELECT identity, name, NULL FROM instances WHERE identity IS NOT NULL
    ON CONFLICT (identity, name) DO UPDATE SET until_id = NULL;
  DROP INDEX messages_received;
  DROP INDEX messages_sent;
  CREATE INDEX messages_sent ON messages(sender_id);
  DROP INDEX messages_inbox;
  CREATE INDEX messages_inbox ON messages(recipient, read_at IS NOT NULL);
  `,
];
