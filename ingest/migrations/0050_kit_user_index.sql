-- A cuff or scale shared by two people in one home: each BLE user index can belong to its own patient.
-- An assignment without a user index takes every reading of the kit that no user-specific assignment claims.
ALTER TABLE kit_assignments ADD COLUMN user_index int CHECK (user_index IS NULL OR user_index BETWEEN 0 AND 254);
DROP INDEX kit_assignments_one_open;
CREATE UNIQUE INDEX kit_assignments_one_open ON kit_assignments (gateway_id, coalesce(user_index, -1))
    WHERE valid_to IS NULL;
