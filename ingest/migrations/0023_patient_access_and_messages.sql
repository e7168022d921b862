-- Patients and the relatives they grant see their own page; nurses write them short messages.

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('nurse', 'acute_nurse', 'gp', 'admin', 'patient', 'relative'));

-- Which patient's page a patient or relative user may read. A relative's access is granted by the patient
-- (or on their behalf by an admin) and ends when revoked; the row stays as the record of it.
CREATE TABLE patient_access (
    user_id     int NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    patient_id  int NOT NULL REFERENCES patients(id),
    relation    text NOT NULL CHECK (relation IN ('self', 'relative')),
    granted_by  int REFERENCES users(id),
    granted_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    PRIMARY KEY (user_id, patient_id)
);
CREATE INDEX patient_access_patient ON patient_access (patient_id) WHERE revoked_at IS NULL;

CREATE TABLE messages (
    id          bigserial PRIMARY KEY,
    patient_id  int NOT NULL REFERENCES patients(id),
    author_id   int NOT NULL REFERENCES users(id),
    body        text NOT NULL CHECK (length(btrim(body)) > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
CREATE INDEX messages_patient ON messages (patient_id, created_at DESC);
