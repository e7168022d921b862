-- One row per patient, bumped by every alert evaluation of that patient inside its transaction and under the
-- patient's advisory lock: a worker that kept the patient's history in memory (alerts.cache) uses it as it is
-- while the sequence is still the one its own last evaluation committed. When other workers evaluated the
-- patient in between, the readings they took are in the log (the observation ids of the last few evaluations,
-- each with its sequence number), so the worker reads just those; older than the log, it reads the history again.
CREATE TABLE alert_evaluations (
    patient_id  int PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
    seq         bigint NOT NULL,
    log_ids     uuid[] NOT NULL DEFAULT '{}',
    log_seqs    bigint[] NOT NULL DEFAULT '{}'
);
