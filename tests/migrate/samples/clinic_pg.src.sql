-- A clinic: a sample schema of the size and shape of the classic sample databases (pagila,
-- dvdrental, northwind): 30 tables, enum types, a domain, arrays, identity and serial columns,
-- geometric columns, a partitioned table with keys, indexes and foreign keys, views, a
-- materialized view, triggers, functions, a rule, comments and a loose sequence.

CREATE TYPE clinic_kind AS ENUM ('hospital', 'practice', 'lab');
CREATE TYPE staff_role AS ENUM ('doctor', 'nurse', 'technician', 'admin');
CREATE TYPE sex AS ENUM ('f', 'm', 'x');
CREATE TYPE visit_status AS ENUM ('booked', 'done', 'cancelled');
CREATE DOMAIN money_amount AS numeric(12,2) CONSTRAINT money_amount_check CHECK (VALUE >= 0);
CREATE SEQUENCE ticket_seq START 100;

CREATE TABLE country (
  id smallserial PRIMARY KEY,
  name varchar(60) NOT NULL,
  code char(2) NOT NULL CONSTRAINT uk_country_code UNIQUE
);
CREATE TABLE city (
  id serial PRIMARY KEY,
  country_id smallint NOT NULL CONSTRAINT fk_city_country REFERENCES country (id),
  name varchar(80) NOT NULL,
  location point NOT NULL
);
CREATE INDEX idx_city_name ON city (lower(name));
CREATE TABLE address (
  id serial PRIMARY KEY,
  city_id int NOT NULL CONSTRAINT fk_address_city REFERENCES city (id) ON UPDATE CASCADE,
  line1 varchar(120) NOT NULL,
  line2 varchar(120),
  postal_code varchar(12)
);
CREATE TABLE clinic (
  id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name varchar(100) NOT NULL,
  address_id int NOT NULL CONSTRAINT fk_clinic_address REFERENCES address (id),
  opened date NOT NULL,
  kind clinic_kind NOT NULL DEFAULT 'practice'
);
COMMENT ON TABLE clinic IS 'every site of the group';
CREATE TABLE department (
  id serial PRIMARY KEY,
  clinic_id int NOT NULL CONSTRAINT fk_department_clinic REFERENCES clinic (id) ON DELETE CASCADE,
  name varchar(60) NOT NULL,
  CONSTRAINT uk_department UNIQUE (clinic_id, name)
);
CREATE TABLE staff (
  id serial PRIMARY KEY,
  department_id int NOT NULL CONSTRAINT fk_staff_department REFERENCES department (id),
  first_name varchar(45) NOT NULL,
  last_name varchar(45) NOT NULL,
  email varchar(120) NOT NULL CONSTRAINT uk_staff_email UNIQUE,
  role staff_role NOT NULL,
  skills text[] NOT NULL DEFAULT '{}',
  salary money_amount NOT NULL,
  hired timestamp NOT NULL,
  active boolean NOT NULL DEFAULT true,
  photo bytea
);
COMMENT ON COLUMN staff.skills IS 'surgery, radiology, ...';
CREATE INDEX idx_staff_name ON staff (last_name, first_name);
CREATE TABLE staff_shift (
  staff_id int NOT NULL CONSTRAINT fk_shift_staff REFERENCES staff (id) ON DELETE CASCADE,
  starts timestamp NOT NULL,
  ends timestamp NOT NULL,
  PRIMARY KEY (staff_id, starts),
  CONSTRAINT ck_shift_order CHECK (ends > starts)
);
CREATE TABLE patient (
  id serial PRIMARY KEY,
  first_name varchar(45) NOT NULL,
  last_name varchar(45) NOT NULL,
  born date NOT NULL,
  sex sex NOT NULL,
  email varchar(120),
  phone varchar(30),
  address_id int CONSTRAINT fk_patient_address REFERENCES address (id) ON DELETE SET NULL,
  notes text,
  created timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_patient_name ON patient (last_name, first_name);
CREATE INDEX idx_patient_email ON patient (email) WHERE email IS NOT NULL;
CREATE TABLE insurer (
  id smallserial PRIMARY KEY,
  name varchar(80) NOT NULL CONSTRAINT uk_insurer_name UNIQUE
);
CREATE TABLE policy (
  id serial PRIMARY KEY,
  patient_id int NOT NULL CONSTRAINT fk_policy_patient REFERENCES patient (id),
  insurer_id smallint NOT NULL CONSTRAINT fk_policy_insurer REFERENCES insurer (id),
  number varchar(30) NOT NULL,
  valid_from date NOT NULL,
  valid_to date,
  CONSTRAINT uk_policy UNIQUE (insurer_id, number),
  CONSTRAINT ck_policy_dates CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE TABLE appointment (
  id serial PRIMARY KEY,
  patient_id int NOT NULL CONSTRAINT fk_appointment_patient REFERENCES patient (id),
  staff_id int NOT NULL CONSTRAINT fk_appointment_staff REFERENCES staff (id),
  starts timestamp NOT NULL,
  status visit_status NOT NULL DEFAULT 'booked',
  reason varchar(200)
);
CREATE INDEX idx_appointment_starts ON appointment (starts DESC);
CREATE TABLE visit (
  id serial PRIMARY KEY,
  appointment_id int NOT NULL CONSTRAINT uk_visit_appointment UNIQUE
    CONSTRAINT fk_visit_appointment REFERENCES appointment (id),
  notes text,
  vitals jsonb
);
CREATE TABLE diagnosis_code (
  code varchar(10) PRIMARY KEY,
  description varchar(200) NOT NULL
);
CREATE TABLE visit_diagnosis (
  visit_id int NOT NULL CONSTRAINT fk_vd_visit REFERENCES visit (id) ON DELETE CASCADE,
  code varchar(10) NOT NULL CONSTRAINT fk_vd_code REFERENCES diagnosis_code (code),
  PRIMARY KEY (visit_id, code)
);
CREATE TABLE drug (
  id serial PRIMARY KEY,
  name varchar(80) NOT NULL,
  form varchar(10) NOT NULL CONSTRAINT ck_drug_form CHECK (form IN ('tablet', 'liquid', 'injection')),
  strength varchar(20)
);
CREATE TABLE prescription (
  id serial PRIMARY KEY,
  visit_id int NOT NULL CONSTRAINT fk_prescription_visit REFERENCES visit (id),
  drug_id int NOT NULL CONSTRAINT fk_prescription_drug REFERENCES drug (id),
  dose varchar(40) NOT NULL,
  days smallint NOT NULL CONSTRAINT ck_prescription_days CHECK (days > 0)
);
CREATE TABLE lab_test (
  id serial PRIMARY KEY,
  name varchar(80) NOT NULL,
  unit varchar(10),
  low double precision,
  high double precision
);
CREATE TABLE lab_result (
  id bigserial PRIMARY KEY,
  visit_id int NOT NULL CONSTRAINT fk_result_visit REFERENCES visit (id),
  lab_test_id int NOT NULL CONSTRAINT fk_result_test REFERENCES lab_test (id),
  value double precision NOT NULL,
  taken timestamp(3) NOT NULL
);
CREATE TABLE invoice (
  id serial PRIMARY KEY,
  patient_id int NOT NULL CONSTRAINT fk_invoice_patient REFERENCES patient (id),
  issued date NOT NULL,
  total money_amount NOT NULL DEFAULT 0,
  paid boolean NOT NULL DEFAULT false
);
CREATE TABLE invoice_line (
  invoice_id int NOT NULL CONSTRAINT fk_line_invoice REFERENCES invoice (id) ON DELETE CASCADE,
  line_no smallint NOT NULL,
  description varchar(200) NOT NULL,
  amount numeric(12,2) NOT NULL,
  PRIMARY KEY (invoice_id, line_no)
);
CREATE TABLE payment (
  id int NOT NULL DEFAULT nextval('ticket_seq') PRIMARY KEY,
  invoice_id int NOT NULL CONSTRAINT fk_payment_invoice REFERENCES invoice (id),
  amount numeric(12,2) NOT NULL,
  paid_at timestamptz NOT NULL,
  method varchar(10) NOT NULL
);
CREATE INDEX idx_payment_paid_at ON payment (paid_at);
CREATE TABLE room (
  id serial PRIMARY KEY,
  department_id int NOT NULL CONSTRAINT fk_room_department REFERENCES department (id),
  number varchar(10) NOT NULL,
  beds smallint NOT NULL DEFAULT 1,
  area polygon
);
CREATE TABLE admission (
  id serial PRIMARY KEY,
  patient_id int NOT NULL CONSTRAINT fk_admission_patient REFERENCES patient (id),
  room_id int NOT NULL CONSTRAINT fk_admission_room REFERENCES room (id),
  admitted timestamp NOT NULL,
  discharged timestamp
);
CREATE TABLE equipment (
  id serial PRIMARY KEY,
  room_id int CONSTRAINT fk_equipment_room REFERENCES room (id) ON DELETE SET NULL,
  serial varchar(40) NOT NULL CONSTRAINT uk_equipment_serial UNIQUE,
  bought smallint NOT NULL,
  flags bit(4) NOT NULL DEFAULT B'0000'
);
CREATE TABLE supplier (
  id serial PRIMARY KEY,
  name varchar(80) NOT NULL,
  contact json
);
CREATE TABLE purchase (
  id serial PRIMARY KEY,
  supplier_id int NOT NULL CONSTRAINT fk_purchase_supplier REFERENCES supplier (id),
  equipment_id int NOT NULL CONSTRAINT fk_purchase_equipment REFERENCES equipment (id),
  price numeric(12,2) NOT NULL,
  ordered date NOT NULL
);
CREATE TABLE tag (
  tag varchar(30) PRIMARY KEY
);
CREATE TABLE patient_tag (
  tag varchar(30) NOT NULL CONSTRAINT fk_pt_tag REFERENCES tag (tag),
  patient_id int NOT NULL CONSTRAINT fk_pt_patient REFERENCES patient (id),
  PRIMARY KEY (tag, patient_id)
);
CREATE TABLE audit_log (
  id bigint GENERATED BY DEFAULT AS IDENTITY,
  at timestamp NOT NULL,
  actor varchar(60) NOT NULL,
  action varchar(200) NOT NULL,
  staff_id int CONSTRAINT fk_audit_staff REFERENCES staff (id),
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE INDEX idx_audit_actor ON audit_log (actor);
CREATE TABLE audit_log_2024 PARTITION OF audit_log FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE audit_log_2025 PARTITION OF audit_log FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE event_stream (
  at timestamp(6) NOT NULL,
  source varchar(40) NOT NULL,
  payload text
);

CREATE VIEW v_patient_visits AS
  SELECT p.id AS patient_id, p.last_name, count(v.id) AS visits
  FROM patient p LEFT JOIN appointment a ON a.patient_id = p.id
  LEFT JOIN visit v ON v.appointment_id = a.id GROUP BY p.id, p.last_name;
CREATE VIEW v_unpaid_invoices AS SELECT id, patient_id, total FROM invoice WHERE NOT paid;
CREATE MATERIALIZED VIEW mv_staff_load AS
  SELECT s.id, s.last_name, count(a.id) AS appointments
  FROM staff s LEFT JOIN appointment a ON a.staff_id = s.id GROUP BY s.id, s.last_name;

CREATE FUNCTION line_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE invoice SET total = total + NEW.amount WHERE id = NEW.invoice_id;
  RETURN NEW;
END $$;
CREATE TRIGGER tr_line_total AFTER INSERT ON invoice_line FOR EACH ROW EXECUTE FUNCTION line_total();
CREATE FUNCTION age_of(born date) RETURNS int LANGUAGE sql IMMUTABLE AS
  $$ SELECT extract(year FROM age(born))::int $$;
CREATE RULE payment_no_delete AS ON DELETE TO payment DO INSTEAD NOTHING;

INSERT INTO country (name, code) VALUES ('Iceland', 'IS'), ('Portugal', 'PT');
INSERT INTO city (country_id, name, location) VALUES
  (1, 'Reykjavík', point(-21.9426, 64.1466)), (2, 'Porto', point(-8.6291053, 41.1579438));
INSERT INTO address (city_id, line1, postal_code) VALUES (1, 'Laugavegur 1', '101'), (2, 'Rua das Flores 20', '4050');
INSERT INTO clinic (name, address_id, opened, kind) VALUES ('North', 1, '2001-05-01', 'hospital'), ('South', 2, '2015-09-12', 'practice');
INSERT INTO department (clinic_id, name) VALUES (1, 'Cardiology'), (1, 'Radiology'), (2, 'General');
INSERT INTO staff (department_id, first_name, last_name, email, role, skills, salary, hired) VALUES
  (1, 'Anna', 'Jónsdóttir', 'anna@example.org', 'doctor', '{cardiology,surgery}', 9100.00, '2010-01-04 08:00'),
  (3, 'Rui', 'Costa', 'rui@example.org', 'nurse', '{}', 3100.50, '2019-03-01 09:00');
INSERT INTO patient (first_name, last_name, born, sex, address_id) VALUES ('Jón', 'Sigurðsson', '1980-06-17', 'm', 1), ('Marta', 'Silva', '1992-11-02', 'f', 2);
INSERT INTO invoice (patient_id, issued) VALUES (1, '2025-02-01');
INSERT INTO invoice_line VALUES (1, 1, 'consultation', 80.00), (1, 2, 'ECG', 45.50);
INSERT INTO payment (invoice_id, amount, paid_at, method) VALUES (1, 125.50, '2025-02-03 10:00+00', 'card');
INSERT INTO audit_log (at, actor, action, staff_id) VALUES ('2024-12-31 23:59:59', 'anna', 'login', 1), ('2025-01-01 00:00:00', 'rui', 'login', 2);
INSERT INTO event_stream VALUES ('2025-01-01 00:00:00.000001', 'door', 'open');
