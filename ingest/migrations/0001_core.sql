-- Core schema: organisations, people, kits, observations, quarantine, alerts, audit.

CREATE TABLE organisations (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    kind        text NOT NULL CHECK (kind IN ('nursing_team', 'acute_team', 'gp_practice'))
);

CREATE TABLE users (
    id              serial PRIMARY KEY,
    username        text NOT NULL UNIQUE,
    password_hash   text NOT NULL,
    display_name    text NOT NULL,
    role            text NOT NULL CHECK (role IN ('nurse', 'acute_nurse', 'gp', 'admin', 'patient')),
    organisation_id int REFERENCES organisations(id),
    locale          text NOT NULL DEFAULT 'da' CHECK (locale IN ('da', 'en')),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    token_hash  text PRIMARY KEY,
    user_id     int NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

CREATE TABLE patients (
    id              serial PRIMARY KEY,
    display_name    text NOT NULL,
    birth_year      int,
    nursing_org_id  int NOT NULL REFERENCES organisations(id),
    gp_org_id       int NOT NULL REFERENCES organisations(id),
    conditions      text[] NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'admitted', 'away', 'paused')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patients_nursing_org ON patients (nursing_org_id);
CREATE INDEX patients_gp_org ON patients (gp_org_id);

CREATE TABLE gateways (
    id              text PRIMARY KEY,
    label           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz,
    online          boolean NOT NULL DEFAULT false,
    status          jsonb NOT NULL DEFAULT '{}'
);

-- A kit (gateway and its devices) belongs to one patient over a period; readings bind through it.
CREATE TABLE kit_assignments (
    id          serial PRIMARY KEY,
    gateway_id  text NOT NULL REFERENCES gateways(id),
    patient_id  int NOT NULL REFERENCES patients(id),
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX kit_assignments_gateway ON kit_assignments (gateway_id, valid_from);

CREATE TABLE observations (
    id              uuid PRIMARY KEY,
    patient_id      int NOT NULL REFERENCES patients(id),
    code            text NOT NULL,          -- LOINC
    value           double precision NOT NULL,
    unit            text NOT NULL,          -- UCUM
    measured_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    ingested_at     timestamptz NOT NULL DEFAULT now(),
    gateway_id      text,
    device_id       text,
    device_profile  text,
    user_index      int,
    source          text NOT NULL DEFAULT 'automatic' CHECK (source IN ('automatic', 'manual')),
    entered_by      int REFERENCES users(id),
    flags           text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX observations_patient_code_time ON observations (patient_id, code, measured_at DESC);
CREATE INDEX observations_measured_brin ON observations USING brin (measured_at);

CREATE TABLE quarantine (
    id          bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    topic       text NOT NULL,
    payload     bytea NOT NULL,
    reason      text NOT NULL,
    replayed_at timestamptz
);

-- Committed observations waiting for the alert core (filled in the same transaction as the rows).
CREATE TABLE alert_queue (
    id              bigserial PRIMARY KEY,
    patient_id      int NOT NULL,
    observation_id  uuid NOT NULL
);

CREATE TABLE alerts (
    id              bigserial PRIMARY KEY,
    patient_id      int NOT NULL REFERENCES patients(id),
    rule            text NOT NULL,
    code            text NOT NULL DEFAULT '',
    severity        text NOT NULL CHECK (severity IN ('red', 'yellow')),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
    opened_at       timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    observed_at     timestamptz NOT NULL,
    value           double precision,
    explanation     jsonb NOT NULL,
    evidence        uuid[] NOT NULL DEFAULT '{}',
    acknowledged_by int REFERENCES users(id),
    acknowledged_at timestamptz,
    ack_note        text,
    resolved_by     int REFERENCES users(id),
    resolved_at     timestamptz,
    outcome         text
);
-- One live alert per patient, rule and measurement: new evidence updates it.
CREATE UNIQUE INDEX alerts_one_live ON alerts (patient_id, rule, code) WHERE status <> 'resolved';
CREATE INDEX alerts_queue_order ON alerts (status, severity, opened_at);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     int REFERENCES users(id),
    action      text NOT NULL,
    patient_id  int,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_patient ON audit_log (patient_id, at);
