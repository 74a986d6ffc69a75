-- 023: the session epoch (server/session.c). Each worker caches what a session cookie resolves
-- to: the session's row, its user's and its company's (who the caller is: id, role, company,
-- group, company status, representative, name, e-mail, TOTP enrolment). Keyed by SQLite's data
-- version alone, that answer was read again after every commit of anything, so under writes
-- every request paid for it (every post's own request too). This epoch moves whenever any of it
-- changes, in the transaction that changes it:
--   - a session ends (sign-out, suspension, password change, expiry: all delete the row) or a
--     column the answer reads is rewritten; the touch of last_seen_at does not move it (the
--     cache judges time itself and stops answering before a touch is due);
--   - a user's id, role, company, representative flag, status, name, e-mail or TOTP columns;
--   - a company's id, group or status;
--   - a user or a company is deleted.
-- A new session, user or company moves nothing: no cached answer can name a row that did not
-- exist when it was read. random(), not a counter, as in 010.
--
-- tests/unit/test_cache.c holds this list to the columns the session query reads
-- (AUTHZ_PRINCIPAL_COLUMNS in server/authz.h and the session's own): an update of each moves the
-- epoch; a post's, a read mark's, a follow's, a notification's and a touch's writes do not.
INSERT INTO epochs (name, value) VALUES ('session', 0);

CREATE TRIGGER sessions_session_update AFTER UPDATE OF token_hash, user_id, csrf_token, created_at ON sessions
	BEGIN UPDATE epochs SET value = random() WHERE name = 'session'; END;
CREATE TRIGGER sessions_session_delete AFTER DELETE ON sessions
	BEGIN UPDATE epochs SET value = random() WHERE name = 'session'; END;

CREATE TRIGGER users_session_update
	AFTER UPDATE OF id, role, company_id, representative, status, name, email, totp_secret, totp_required ON users
	BEGIN UPDATE epochs SET value = random() WHERE name = 'session'; END;
CREATE TRIGGER users_session_delete AFTER DELETE ON users
	BEGIN UPDATE epochs SET value = random() WHERE name = 'session'; END;

CREATE TRIGGER companies_session_update AFTER UPDATE OF id, group_id, status ON companies
	BEGIN UPDATE epochs SET value = random() WHERE name = 'session'; END;
CREATE TRIGGER companies_session_delete AFTER DELETE ON companies
	BEGIN UPDATE epochs SET value = random() WHERE name = 'session'; END;
