-- What each patient is asked to measure and by when, so that a missing measurement can raise a "no data" alert.

CREATE TABLE measurement_plans (
    patient_id  int NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    code        text NOT NULL,                  -- internal measurement key, e.g. 'body_weight'
    frequency   text NOT NULL DEFAULT 'daily' CHECK (frequency IN ('daily', 'weekly')),
    due_by      time NOT NULL DEFAULT '10:00',  -- local time by which the day's measurement is due
    tz          text NOT NULL DEFAULT 'Europe/Copenhagen',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (patient_id, code)
);
