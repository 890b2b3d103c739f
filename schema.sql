-- taskcenter schema, version 7 (src/store/migrate.rs LATEST).
-- This file is the single source of the schema of a new database: it is
-- embedded in the binary and applied to an empty database, which is then at
-- the latest version. Older databases are brought here by the numbered
-- migrations in src/store/migrate.rs, keyed on PRAGMA user_version.
-- All times are unix seconds unless the column name ends in _ms.
-- Every balance, limit and amount is an integer from 0 to 2^53 - 1
-- (9007199254740991, `MAX_QUOTA`), so JSON clients that read numbers as
-- doubles stay exact: the CHECKs refuse anything else, a REAL included.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    username         TEXT    NOT NULL UNIQUE,
    password_hash    TEXT,
    display_name     TEXT    NOT NULL DEFAULT '',
    role             INTEGER NOT NULL DEFAULT 1,      -- 1 common, 10 admin, 100 root
    status           INTEGER NOT NULL DEFAULT 1,      -- 1 enabled, 2 disabled by hand, 3 auto-disabled
    "group"          TEXT    NOT NULL DEFAULT 'default',
    quota            INTEGER NOT NULL DEFAULT 0
                     CHECK (typeof(quota) = 'integer' AND quota BETWEEN 0 AND 9007199254740991),
    used_quota       INTEGER NOT NULL DEFAULT 0
                     CHECK (typeof(used_quota) = 'integer' AND used_quota BETWEEN 0 AND 9007199254740991),
    request_count    INTEGER NOT NULL DEFAULT 0,
    access_token_hash TEXT   UNIQUE,                  -- sha256 hex of the access token
    created_at       INTEGER NOT NULL
);

-- API keys (sk-...), stored only as a hash.
CREATE TABLE tokens (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    name             TEXT    NOT NULL DEFAULT '',
    key_hash         TEXT    NOT NULL UNIQUE,
    status           INTEGER NOT NULL DEFAULT 1,      -- 1 enabled, 2 disabled, 3 expired, 4 exhausted
    remain_quota     INTEGER NOT NULL DEFAULT 0
                     CHECK (typeof(remain_quota) = 'integer' AND remain_quota BETWEEN 0 AND 9007199254740991),
    unlimited_quota  INTEGER NOT NULL DEFAULT 0,
    used_quota       INTEGER NOT NULL DEFAULT 0
                     CHECK (typeof(used_quota) = 'integer' AND used_quota BETWEEN 0 AND 9007199254740991),
    expired_time     INTEGER NOT NULL DEFAULT -1,     -- unix s, -1 = never
    created_at       INTEGER NOT NULL,
    accessed_time    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_tokens_user ON tokens(user_id, id);

-- Upstream providers.
CREATE TABLE channels (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    type             TEXT    NOT NULL,
    name             TEXT    NOT NULL DEFAULT '',
    base_url         TEXT    NOT NULL,
    key              TEXT    NOT NULL DEFAULT '',     -- upstream secret: never returned
    models           TEXT    NOT NULL DEFAULT '',
    "group"          TEXT    NOT NULL DEFAULT 'default',
    priority         INTEGER NOT NULL DEFAULT 0,
    weight           INTEGER NOT NULL DEFAULT 1,
    status           INTEGER NOT NULL DEFAULT 1,      -- 1 enabled, 2 disabled by hand, 3 auto-disabled
    used_quota       INTEGER NOT NULL DEFAULT 0
                     CHECK (typeof(used_quota) = 'integer' AND used_quota BETWEEN 0 AND 9007199254740991),
    created_at       INTEGER NOT NULL,
    model_mapping    TEXT    NOT NULL DEFAULT '',     -- JSON object client model -> upstream model; '' = none
    disabled_reason  TEXT    NOT NULL DEFAULT '',     -- why the server disabled it (status 3)
    disabled_at      INTEGER NOT NULL DEFAULT 0,      -- when it was auto-disabled (unix s)
    probe_at         INTEGER NOT NULL DEFAULT 0,      -- when the worker probes it next (status 3)
    probe_backoff_secs INTEGER NOT NULL DEFAULT 0     -- the wait before that probe; doubles, up to 1 h
);

-- Health of each channel's upstream calls, as the server last saved it
-- (the server keeps the live figures in memory and saves changed channels
-- once per worker pass). `hours`: JSON list of per-hour counts and latency
-- histograms of the last 24 h.
CREATE TABLE channel_health (
    channel_id           INTEGER PRIMARY KEY,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    healthy              INTEGER NOT NULL DEFAULT 1,
    last_success_at      INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT    NOT NULL DEFAULT '',
    last_error_at        INTEGER NOT NULL DEFAULT 0,
    hours                TEXT    NOT NULL DEFAULT '[]',
    updated_at           INTEGER NOT NULL
);

CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    task_id          TEXT    NOT NULL UNIQUE,         -- public id: task_ + 32 alphanumerics
    platform         TEXT    NOT NULL,
    user_id          INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL DEFAULT 0,
    quota            INTEGER NOT NULL DEFAULT 0       -- the charge taken at submission
                     CHECK (typeof(quota) = 'integer' AND quota BETWEEN 0 AND 9007199254740991),
    action           TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    fail_reason      TEXT    NOT NULL DEFAULT '',
    submit_time      INTEGER NOT NULL DEFAULT 0,
    start_time       INTEGER NOT NULL DEFAULT 0,
    finish_time      INTEGER NOT NULL DEFAULT 0,
    progress         TEXT    NOT NULL DEFAULT '0%',
    properties       TEXT    NOT NULL DEFAULT '{}',
    data             TEXT    NOT NULL DEFAULT '{}',
    -- private columns: never in any response
    upstream_task_id TEXT    NOT NULL DEFAULT '',
    token_id         INTEGER NOT NULL DEFAULT 0,
    model_name       TEXT    NOT NULL DEFAULT '',
    model_price      REAL    NOT NULL DEFAULT 0,      -- USD per call, snapshotted at charge time
    group_ratio      REAL    NOT NULL DEFAULT 1,      -- snapshotted at charge time
    refunded         INTEGER NOT NULL DEFAULT 0,      -- 1 once the charge was given back
    next_poll_at_ms  INTEGER NOT NULL DEFAULT 0,
    poll_attempts    INTEGER NOT NULL DEFAULT 0,
    poll_failures    INTEGER NOT NULL DEFAULT 0,
    fail_detail      TEXT    NOT NULL DEFAULT '',     -- why it failed, for admins only (upstream detail)
    deleted          INTEGER NOT NULL DEFAULT 0,      -- 1: the owner deleted it (a video); row and ledger stay
    callback_url     TEXT    NOT NULL DEFAULT ''      -- the task's own webhook URL (callBackUrl, webhook_url); '' = none
);
-- Task lists (list_tasks in src/store/tasks.rs; figures in BENCHMARKS.md).
-- A list is a total and a page of ids newest first. An admin total without
-- an owner or a task id sums task_day_counts (below) over the whole days of
-- its time range and counts only the partial days at the ends; the other
-- totals are a COUNT(*) of the matches. Each index stores every filter
-- column (user_id, channel_id, status, platform, action, submit_time) it is
-- used with, so no filter reads table rows.
-- An owner's or a channel's tasks, in id order.
CREATE INDEX idx_tasks_user ON tasks(user_id, id, status, platform, action, submit_time);
CREATE INDEX idx_tasks_channel ON tasks(channel_id, id, status, platform, action, submit_time);
-- Counts of a day or two (the partial days of an admin total) seek status +
-- platform + time, or the time range. idx_tasks_status also serves the
-- in-flight gauges (src/store/gauges.rs) and the audit's failed tasks; a
-- platform + time index went with the counters (no measured case used it).
CREATE INDEX idx_tasks_status ON tasks(status, platform, submit_time, action, channel_id);
CREATE INDEX idx_tasks_submit ON tasks(submit_time, status, platform, action, channel_id);
-- Admin pages walk the id order newest first, test the filters here and stop
-- once the page is full (sorting every match would cost another count).
CREATE INDEX idx_tasks_order ON tasks(id, status, platform, action, channel_id, submit_time);
-- The narrowest copy of the id order: COUNT(*) of all tasks adds up its
-- pages, and deep unfiltered OFFSETs step through it. Ids only grow, so
-- inserts append to it.
CREATE INDEX idx_tasks_ids ON tasks(id);
-- The worker: only non-final tasks are in this index, so it stays as small
-- as the backlog however large the history grows.
CREATE INDEX idx_tasks_due ON tasks(next_poll_at_ms)
    WHERE status IN ('NOT_START', 'SUBMITTED', 'QUEUED', 'IN_PROGRESS', 'UNKNOWN');
-- Exact totals of the admin lists (src/store/day_counts.rs): tasks per UTC
-- day of submit_time (floor(submit_time / 86400)) and (status, platform,
-- action, channel_id). The triggers keep them in the transaction of every
-- write to tasks, so each path (relay, worker, repairs, seeding, a test's
-- raw insert) leaves them exact. Rows are never deleted (a count may be 0).
CREATE TABLE task_day_counts (
    day              INTEGER NOT NULL,
    status           TEXT    NOT NULL,
    platform         TEXT    NOT NULL,
    action           TEXT    NOT NULL,
    channel_id       INTEGER NOT NULL,
    tasks            INTEGER NOT NULL,
    PRIMARY KEY (day, status, platform, action, channel_id)
) WITHOUT ROWID;
CREATE TRIGGER task_day_counts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_day_counts (day, status, platform, action, channel_id, tasks)
    VALUES ((NEW.submit_time - (NEW.submit_time % 86400 + 86400) % 86400) / 86400,
            NEW.status, NEW.platform, NEW.action, NEW.channel_id, 1)
    ON CONFLICT DO UPDATE SET tasks = tasks + 1;
END;
CREATE TRIGGER task_day_counts_update
AFTER UPDATE OF status, platform, action, channel_id, submit_time ON tasks
WHEN OLD.status IS NOT NEW.status OR OLD.platform IS NOT NEW.platform
    OR OLD.action IS NOT NEW.action OR OLD.channel_id IS NOT NEW.channel_id
    OR OLD.submit_time IS NOT NEW.submit_time
BEGIN
    UPDATE task_day_counts SET tasks = tasks - 1
    WHERE day = (OLD.submit_time - (OLD.submit_time % 86400 + 86400) % 86400) / 86400
      AND status = OLD.status AND platform = OLD.platform AND action = OLD.action
      AND channel_id = OLD.channel_id;
    INSERT INTO task_day_counts (day, status, platform, action, channel_id, tasks)
    VALUES ((NEW.submit_time - (NEW.submit_time % 86400 + 86400) % 86400) / 86400,
            NEW.status, NEW.platform, NEW.action, NEW.channel_id, 1)
    ON CONFLICT DO UPDATE SET tasks = tasks + 1;
END;
CREATE TRIGGER task_day_counts_delete AFTER DELETE ON tasks BEGIN
    UPDATE task_day_counts SET tasks = tasks - 1
    WHERE day = (OLD.submit_time - (OLD.submit_time % 86400 + 86400) % 86400) / 86400
      AND status = OLD.status AND platform = OLD.platform AND action = OLD.action
      AND channel_id = OLD.channel_id;
END;

-- Every balance change writes exactly one row here, in the same transaction.
CREATE TABLE logs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at       INTEGER NOT NULL,
    type             INTEGER NOT NULL,                -- 1 top-up, 2 consume, 3 manage, 4 system, 5 error, 6 refund
    user_id          INTEGER NOT NULL,
    username         TEXT    NOT NULL DEFAULT '',
    token_id         INTEGER NOT NULL DEFAULT 0,
    token_name       TEXT    NOT NULL DEFAULT '',
    channel_id       INTEGER NOT NULL DEFAULT 0,
    model_name       TEXT    NOT NULL DEFAULT '',
    quota            INTEGER NOT NULL DEFAULT 0
                     CHECK (typeof(quota) = 'integer' AND quota BETWEEN 0 AND 9007199254740991),
    content          TEXT    NOT NULL DEFAULT '',
    task_id          TEXT    NOT NULL DEFAULT '',
    other            TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_logs_user ON logs(user_id, id);
CREATE INDEX idx_logs_task ON logs(task_id);
CREATE INDEX idx_logs_type ON logs(type, id);

-- Idempotency keys of submissions (src/store/idempotency.rs): one per user
-- and key, claimed before any work, tied to its task in the charge's
-- transaction, answered once; purged by the worker after the TTL.
CREATE TABLE idempotency_keys (
    user_id          INTEGER NOT NULL,
    key              TEXT    NOT NULL,
    request_hash     TEXT    NOT NULL,                -- hex SHA-256 of method, path and body
    state            TEXT    NOT NULL DEFAULT 'pending', -- pending, done (answer stored)
    instance         TEXT    NOT NULL DEFAULT '',     -- the server run holding a pending claim
    task_row_id      INTEGER,                         -- tasks.id charged for it
    status           INTEGER NOT NULL DEFAULT 0,      -- the stored answer's HTTP status
    body             BLOB,                            -- the stored answer's body
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idx_idempotency_keys_created ON idempotency_keys(created_at);
-- Completion webhooks: a user's endpoints, and the outbox of deliveries.
CREATE TABLE webhook_endpoints (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL,
    url              TEXT    NOT NULL,
    events           TEXT    NOT NULL,                -- space-separated: task.succeeded task.failed task.progress
    secret           TEXT    NOT NULL,                -- whsec_...: shown once, signs every delivery
    enabled          INTEGER NOT NULL DEFAULT 1,
    disabled_reason  TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX idx_webhook_endpoints_user ON webhook_endpoints(user_id, enabled);
-- The outbox: one row per event and endpoint, written in the transaction
-- that settles the task, its payload frozen then.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id           TEXT    NOT NULL,                -- webhook-id: msg_ + 32 alphanumerics (190 random bits), the same on every retry
    endpoint_id      INTEGER NOT NULL,
    event_type       TEXT    NOT NULL,
    task_row_id      INTEGER NOT NULL,
    task_id          TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending', -- pending, delivered, failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    last_status      INTEGER NOT NULL DEFAULT 0,      -- last HTTP status, 0 = none (no answer)
    response_excerpt TEXT    NOT NULL DEFAULT '',     -- the first 256 bytes of the last answer or error
    url              TEXT    NOT NULL DEFAULT '',     -- a task's own callback URL; '' = the endpoint's
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- The delivery thread: only pending rows, so it stays as small as the backlog.
CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries(next_attempt_at_ms)
    WHERE status = 'pending';
-- Per-task order (an earlier pending row of the same endpoint and task
-- holds back the later ones) and the endpoint's list, newest first.
CREATE INDEX idx_webhook_deliveries_order ON webhook_deliveries(endpoint_id, task_row_id, id)
    WHERE status = 'pending';
CREATE INDEX idx_webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);

-- Run-time options (ModelPrice, GroupRatio), values are JSON text.
CREATE TABLE options (
    key              TEXT PRIMARY KEY,
    value            TEXT NOT NULL
);

-- Login sessions of the console: the cookie's id only as a sha256 hash;
-- a session ends 7 days after its last use, at logout, or when its user's
-- password changes or the user is disabled.
CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idx_sessions_user ON sessions(user_id);

-- The root user always has id 1, even when the first command run on a new
-- database is a CLI one; `serve` gives it an access token.
INSERT INTO users (id, username, display_name, role, status, created_at)
VALUES (1, 'root', 'Root User', 100, 1, CAST(strftime('%s', 'now') AS INTEGER));
