-- Hospital admissions of monitored patients, as recorded by a nurse or brought in from elsewhere; the health
-- cluster indicators count admissions and 30-day readmissions from these rows.
CREATE TABLE admissions (
    id              bigserial PRIMARY KEY,
    patient_id      int NOT NULL REFERENCES patients(id),
    admitted_at     timestamptz NOT NULL,
    discharged_at   timestamptz,
    source          text NOT NULL CHECK (source IN ('nurse', 'gp', 'hospital', 'import')),
    recorded_by     int REFERENCES users(id),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    note            text,
    CHECK (discharged_at IS NULL OR discharged_at >= admitted_at)
);
CREATE INDEX admissions_patient_time ON admissions (patient_id, admitted_at);
