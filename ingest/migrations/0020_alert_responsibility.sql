-- Who answers for a live alert now: a colleague it was assigned to, or the GP practice it was escalated to.
-- Only the current state lives here; every change is also in audit_log, which is the history.
CREATE TABLE alert_responsibility (
    alert_id        bigint PRIMARY KEY REFERENCES alerts(id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('assigned', 'escalated')),
    user_id         int REFERENCES users(id),
    organisation_id int NOT NULL REFERENCES organisations(id),
    set_by          int NOT NULL REFERENCES users(id),
    set_at          timestamptz NOT NULL DEFAULT now(),
    note            text,
    CHECK ((kind = 'assigned') = (user_id IS NOT NULL))
);
CREATE INDEX alert_responsibility_user ON alert_responsibility (user_id) WHERE user_id IS NOT NULL;

-- Kits whose assignment is still open, for the nurse's "kit problems" panel and kit admin.
CREATE INDEX kit_assignments_open ON kit_assignments (patient_id) WHERE valid_to IS NULL;
