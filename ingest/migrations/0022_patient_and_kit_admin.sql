-- Patient and kit admin: which organisation owns a kit, one patient per kit at a time, threshold overrides.

ALTER TABLE gateways ADD COLUMN organisation_id int REFERENCES organisations(id);
-- Kits already in use belong to the nursing team of the patient who has them.
UPDATE gateways g SET organisation_id = p.nursing_org_id
FROM kit_assignments k JOIN patients p ON p.id = k.patient_id
WHERE k.gateway_id = g.id AND k.valid_to IS NULL AND g.organisation_id IS NULL;
CREATE INDEX gateways_organisation ON gateways (organisation_id);

-- A kit is with one patient at a time: at most one open assignment per gateway.
CREATE UNIQUE INDEX kit_assignments_one_open ON kit_assignments (gateway_id) WHERE valid_to IS NULL;

-- Per-patient red/yellow limits that replace the programme defaults for one measurement. Rows are never
-- updated except to end them: the table is its own history (who set what, why, and when it ended).
CREATE TABLE threshold_overrides (
    id          bigserial PRIMARY KEY,
    patient_id  int NOT NULL REFERENCES patients(id),
    code        text NOT NULL,              -- internal measurement key, e.g. 'spo2'
    red_low     double precision,
    yellow_low  double precision,
    yellow_high double precision,
    red_high    double precision,
    reason      text NOT NULL CHECK (length(btrim(reason)) > 0),
    set_by      int NOT NULL REFERENCES users(id),
    set_at      timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    ended_by    int REFERENCES users(id),
    CHECK (coalesce(red_low, yellow_low, yellow_high, red_high) IS NOT NULL)
);
CREATE UNIQUE INDEX threshold_overrides_active ON threshold_overrides (patient_id, code) WHERE ended_at IS NULL;
CREATE INDEX threshold_overrides_history ON threshold_overrides (patient_id, code, set_at DESC);
