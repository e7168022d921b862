-- A clinician's "I have looked at this patient" with a note: GP rounds order patients by what changed since.
CREATE TABLE patient_reviews (
    id          bigserial PRIMARY KEY,
    patient_id  int NOT NULL REFERENCES patients(id),
    user_id     int NOT NULL REFERENCES users(id),
    reviewed_at timestamptz NOT NULL DEFAULT now(),
    note        text
);
CREATE INDEX patient_reviews_user_patient ON patient_reviews (user_id, patient_id, reviewed_at DESC);
CREATE INDEX patient_reviews_patient ON patient_reviews (patient_id, reviewed_at DESC);

-- "Latest reading" and "readings since" per patient, whatever the measurement (rounds, patient lists).
CREATE INDEX observations_patient_time ON observations (patient_id, measured_at DESC);
-- Alerts of a patient since a moment (rounds), and markers on the charts.
CREATE INDEX alerts_patient_opened ON alerts (patient_id, opened_at DESC);
