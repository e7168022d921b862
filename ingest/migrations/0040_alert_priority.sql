-- Alert priority from the patient's risk group (alerts.priority): how many risk factors the patient had when the
-- alert was last written. Severity orders the queue first; priority orders alerts of the same severity.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS priority int NOT NULL DEFAULT 0 CHECK (priority >= 0);

-- A risk factor the care team records; the others (conditions, age, discharges) come from existing data.
ALTER TABLE patients ADD COLUMN IF NOT EXISTS lives_alone boolean NOT NULL DEFAULT false;
