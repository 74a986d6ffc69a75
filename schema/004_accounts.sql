-- 004_accounts.sql — what sign-in needs beyond 001_core: TOTP enrolment in progress, trusted
-- devices (so that a throttled account still lets its owner in from a browser that signed in
-- before), and indexes for pruning and counting sign-in failures.

-- A TOTP secret shown to the user but not yet confirmed with a code (base32); it becomes
-- totp_secret on confirmation.
ALTER TABLE users ADD COLUMN totp_pending TEXT;

-- The trusted-device token's hash a failed attempt presented (NULL when none), so failures
-- from a trusted browser count against that browser rather than against the account.
ALTER TABLE login_failures ADD COLUMN device TEXT;
-- 1 while the attempt's password is still being checked (the row is written before hashing so
-- that concurrent attempts count); it becomes 0 on failure and is deleted on success.
ALTER TABLE login_failures ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX login_failures_device ON login_failures(device, at);
CREATE INDEX login_failures_at ON login_failures(at);

-- A browser where the user has signed in successfully: the cookie __Host-mamori-dev carries a
-- random token; only its SHA-256 is kept. It grants no access by itself; it only exempts that
-- browser from the per-account sign-in throttle (docs/API.md §2), so an attacker who keeps failing
-- against an account cannot lock its owner out.
CREATE TABLE trusted_devices (
  token_hash   TEXT PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id),
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
);
CREATE INDEX trusted_devices_user ON trusted_devices(user_id, created_at);
