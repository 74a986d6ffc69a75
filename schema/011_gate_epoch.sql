-- 011: the consent gate's epoch (server/authz.c). The gate's verdict for a user (which consents
-- are still pending) is cached per worker. Keyed by SQLite's data version it was computed again
-- after every commit of anything — every post — so under writes each request paid for it. This
-- epoch moves only when what the verdict reads changes: a document is published or changed, or
-- a consent (or withdrawal) is recorded. The user's id, company and role are part of the cache
-- key. random(), not a counter, as in 010: a value seen inside a rolled-back batch never recurs.
INSERT INTO epochs (name, value) VALUES ('gate', 0);

CREATE TRIGGER documents_gate_insert AFTER INSERT ON documents
	BEGIN UPDATE epochs SET value = random() WHERE name = 'gate'; END;
CREATE TRIGGER documents_gate_update AFTER UPDATE ON documents
	BEGIN UPDATE epochs SET value = random() WHERE name = 'gate'; END;
CREATE TRIGGER documents_gate_delete AFTER DELETE ON documents
	BEGIN UPDATE epochs SET value = random() WHERE name = 'gate'; END;
CREATE TRIGGER consents_gate_insert AFTER INSERT ON consents
	BEGIN UPDATE epochs SET value = random() WHERE name = 'gate'; END;
CREATE TRIGGER consents_gate_update AFTER UPDATE ON consents
	BEGIN UPDATE epochs SET value = random() WHERE name = 'gate'; END;
CREATE TRIGGER consents_gate_delete AFTER DELETE ON consents
	BEGIN UPDATE epochs SET value = random() WHERE name = 'gate'; END;
