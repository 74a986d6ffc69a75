-- 005_consent.sql — indexes for listing consent records by person and by company across both
-- scopes (GET /api/v1/consents?user_id=&company_id=); 002's partial indexes serve the gate,
-- which always names one scope.

CREATE INDEX consents_user_all ON consents(user_id, id);
CREATE INDEX consents_company_all ON consents(company_id, id);
