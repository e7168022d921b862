-- One alert-queue row per (ingest batch, patient) instead of one per reading: the hand-off to the alert core
-- was a tenth of the ingest write, and the alert core groups readings by patient anyway.
ALTER TABLE alert_queue ADD COLUMN observation_ids uuid[];
UPDATE alert_queue SET observation_ids = ARRAY[observation_id];
ALTER TABLE alert_queue ALTER COLUMN observation_ids SET NOT NULL,
    ADD CONSTRAINT alert_queue_observations CHECK (cardinality(observation_ids) > 0);
ALTER TABLE alert_queue DROP COLUMN observation_id;
