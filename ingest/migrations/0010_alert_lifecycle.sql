-- Alert core: a 'review' severity for the GP's list, late data, snooze, escalation and who is responsible now.

ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_severity_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_severity_check CHECK (severity IN ('red', 'yellow', 'review'));

ALTER TABLE alerts
    ADD COLUMN late                boolean NOT NULL DEFAULT false,
    ADD COLUMN snoozed_until       timestamptz,
    ADD COLUMN snooze_reason       text,
    ADD COLUMN snoozed_by          int REFERENCES users(id),
    ADD COLUMN escalated_at        timestamptz,
    ADD COLUMN escalation_level    int NOT NULL DEFAULT 0,
    ADD COLUMN responsible_role    text NOT NULL DEFAULT 'nurse'
        CHECK (responsible_role IN ('nurse', 'acute_team', 'gp')),
    ADD COLUMN responsible_org_id  int REFERENCES organisations(id);

ALTER TABLE alerts ADD CONSTRAINT alerts_outcome_check CHECK (outcome IS NULL OR outcome IN
    ('normalised', 'contacted_patient', 'home_visit', 'gp_informed', 'admitted', 'false_alarm'));

-- The escalation sweep looks for red alerts nobody has acknowledged yet.
CREATE INDEX alerts_unacknowledged_red ON alerts (opened_at) WHERE status = 'open' AND severity = 'red';
-- A rule that a clinician just handled stays quiet for a while: look up the latest resolution per rule.
CREATE INDEX alerts_recently_resolved ON alerts (patient_id, rule, code, resolved_at) WHERE status = 'resolved';
