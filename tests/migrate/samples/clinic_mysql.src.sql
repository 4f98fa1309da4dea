-- A clinic: a sample schema of the size and shape of the classic sample databases (sakila,
-- employees, world): 30 tables, views, triggers, routines, foreign keys, enums and sets,
-- spatial columns, a partitioned table and a table without a primary key.

CREATE TABLE country (
  id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(60) NOT NULL,
  code CHAR(2) NOT NULL,
  UNIQUE KEY uk_country_code (code)
);
CREATE TABLE city (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  country_id SMALLINT UNSIGNED NOT NULL,
  name VARCHAR(80) NOT NULL,
  location POINT NOT NULL,
  SPATIAL KEY sp_city_location (location),
  KEY idx_city_name (name(20)),
  CONSTRAINT fk_city_country FOREIGN KEY (country_id) REFERENCES country (id)
);
CREATE TABLE address (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  city_id INT NOT NULL,
  line1 VARCHAR(120) NOT NULL,
  line2 VARCHAR(120) DEFAULT NULL,
  postal_code VARCHAR(12),
  geo POINT NULL,
  CONSTRAINT fk_address_city FOREIGN KEY (city_id) REFERENCES city (id) ON UPDATE CASCADE
);
CREATE TABLE clinic (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  address_id INT NOT NULL,
  opened DATE NOT NULL,
  kind ENUM('hospital','practice','lab') NOT NULL DEFAULT 'practice',
  CONSTRAINT fk_clinic_address FOREIGN KEY (address_id) REFERENCES address (id)
) COMMENT='every site of the group';
CREATE TABLE department (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  clinic_id INT NOT NULL,
  name VARCHAR(60) NOT NULL,
  UNIQUE KEY uk_department (clinic_id, name),
  CONSTRAINT fk_department_clinic FOREIGN KEY (clinic_id) REFERENCES clinic (id) ON DELETE CASCADE
);
CREATE TABLE staff (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  department_id INT NOT NULL,
  first_name VARCHAR(45) NOT NULL,
  last_name VARCHAR(45) NOT NULL,
  email VARCHAR(120) NOT NULL,
  role ENUM('doctor','nurse','technician','admin') NOT NULL,
  skills SET('surgery','radiology','pediatrics','cardiology') NOT NULL DEFAULT '',
  salary DECIMAL(10,2) NOT NULL CHECK (salary >= 0),
  hired DATETIME NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  photo BLOB,
  UNIQUE KEY uk_staff_email (email),
  KEY idx_staff_name (last_name, first_name),
  CONSTRAINT fk_staff_department FOREIGN KEY (department_id) REFERENCES department (id)
);
CREATE TABLE staff_shift (
  staff_id INT NOT NULL,
  starts DATETIME NOT NULL,
  ends DATETIME NOT NULL,
  PRIMARY KEY (staff_id, starts),
  CONSTRAINT ck_shift_order CHECK (ends > starts),
  CONSTRAINT fk_shift_staff FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE
);
CREATE TABLE patient (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  first_name VARCHAR(45) NOT NULL,
  last_name VARCHAR(45) NOT NULL,
  born DATE NOT NULL,
  sex ENUM('f','m','x') NOT NULL,
  email VARCHAR(120),
  phone VARCHAR(30),
  address_id INT,
  notes TEXT,
  created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_patient_name (last_name, first_name),
  FULLTEXT KEY ft_patient_notes (notes),
  CONSTRAINT fk_patient_address FOREIGN KEY (address_id) REFERENCES address (id) ON DELETE SET NULL
);
CREATE TABLE insurer (
  id SMALLINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(80) NOT NULL,
  UNIQUE KEY uk_insurer_name (name)
);
CREATE TABLE policy (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_id INT NOT NULL,
  insurer_id SMALLINT NOT NULL,
  number VARCHAR(30) NOT NULL,
  valid_from DATE NOT NULL,
  valid_to DATE,
  UNIQUE KEY uk_policy (insurer_id, number),
  CONSTRAINT fk_policy_patient FOREIGN KEY (patient_id) REFERENCES patient (id),
  CONSTRAINT fk_policy_insurer FOREIGN KEY (insurer_id) REFERENCES insurer (id)
);
CREATE TABLE appointment (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_id INT NOT NULL,
  staff_id INT NOT NULL,
  starts DATETIME NOT NULL,
  status ENUM('booked','done','cancelled') NOT NULL DEFAULT 'booked',
  reason VARCHAR(200),
  KEY idx_appointment_starts (starts DESC),
  CONSTRAINT fk_appointment_patient FOREIGN KEY (patient_id) REFERENCES patient (id),
  CONSTRAINT fk_appointment_staff FOREIGN KEY (staff_id) REFERENCES staff (id)
);
CREATE TABLE visit (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  appointment_id INT NOT NULL,
  notes TEXT,
  vitals JSON,
  UNIQUE KEY uk_visit_appointment (appointment_id),
  CONSTRAINT fk_visit_appointment FOREIGN KEY (appointment_id) REFERENCES appointment (id)
);
CREATE TABLE diagnosis_code (
  code VARCHAR(10) NOT NULL PRIMARY KEY,
  description VARCHAR(200) NOT NULL
);
CREATE TABLE visit_diagnosis (
  visit_id INT NOT NULL,
  code VARCHAR(10) NOT NULL,
  PRIMARY KEY (visit_id, code),
  CONSTRAINT fk_vd_visit FOREIGN KEY (visit_id) REFERENCES visit (id) ON DELETE CASCADE,
  CONSTRAINT fk_vd_code FOREIGN KEY (code) REFERENCES diagnosis_code (code)
);
CREATE TABLE drug (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(80) NOT NULL,
  form ENUM('tablet','liquid','injection') NOT NULL,
  strength VARCHAR(20)
);
CREATE TABLE prescription (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  visit_id INT NOT NULL,
  drug_id INT NOT NULL,
  dose VARCHAR(40) NOT NULL,
  days SMALLINT UNSIGNED NOT NULL,
  CONSTRAINT ck_prescription_days CHECK (days > 0),
  CONSTRAINT fk_prescription_visit FOREIGN KEY (visit_id) REFERENCES visit (id),
  CONSTRAINT fk_prescription_drug FOREIGN KEY (drug_id) REFERENCES drug (id)
);
CREATE TABLE lab_test (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(80) NOT NULL,
  unit VARCHAR(10),
  low DOUBLE,
  high DOUBLE
);
CREATE TABLE lab_result (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  visit_id INT NOT NULL,
  lab_test_id INT NOT NULL,
  value DOUBLE NOT NULL,
  taken DATETIME(3) NOT NULL,
  CONSTRAINT fk_result_visit FOREIGN KEY (visit_id) REFERENCES visit (id),
  CONSTRAINT fk_result_test FOREIGN KEY (lab_test_id) REFERENCES lab_test (id)
);
CREATE TABLE invoice (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_id INT NOT NULL,
  issued DATE NOT NULL,
  total DECIMAL(12,2) NOT NULL DEFAULT 0.00,
  paid TINYINT(1) NOT NULL DEFAULT 0,
  CONSTRAINT fk_invoice_patient FOREIGN KEY (patient_id) REFERENCES patient (id)
);
CREATE TABLE invoice_line (
  invoice_id INT NOT NULL,
  line_no SMALLINT NOT NULL,
  description VARCHAR(200) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  PRIMARY KEY (invoice_id, line_no),
  CONSTRAINT fk_line_invoice FOREIGN KEY (invoice_id) REFERENCES invoice (id) ON DELETE CASCADE
);
CREATE TABLE payment (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  invoice_id INT NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  paid_at DATETIME NOT NULL,
  method ENUM('cash','card','transfer') NOT NULL,
  KEY idx_payment_paid_at (paid_at),
  CONSTRAINT fk_payment_invoice FOREIGN KEY (invoice_id) REFERENCES invoice (id)
);
CREATE TABLE room (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  department_id INT NOT NULL,
  number VARCHAR(10) NOT NULL,
  beds TINYINT UNSIGNED NOT NULL DEFAULT 1,
  area POLYGON NULL,
  CONSTRAINT fk_room_department FOREIGN KEY (department_id) REFERENCES department (id)
);
CREATE TABLE admission (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_id INT NOT NULL,
  room_id INT NOT NULL,
  admitted DATETIME NOT NULL,
  discharged DATETIME NULL,
  CONSTRAINT fk_admission_patient FOREIGN KEY (patient_id) REFERENCES patient (id),
  CONSTRAINT fk_admission_room FOREIGN KEY (room_id) REFERENCES room (id)
);
CREATE TABLE equipment (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  room_id INT NULL,
  serial VARCHAR(40) NOT NULL,
  bought YEAR NOT NULL,
  flags BIT(4) NOT NULL DEFAULT b'0000',
  UNIQUE KEY uk_equipment_serial (serial),
  CONSTRAINT fk_equipment_room FOREIGN KEY (room_id) REFERENCES room (id) ON DELETE SET NULL
);
CREATE TABLE supplier (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(80) NOT NULL,
  contact JSON
);
CREATE TABLE purchase (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  supplier_id INT NOT NULL,
  equipment_id INT NOT NULL,
  price DECIMAL(12,2) NOT NULL,
  ordered DATE NOT NULL,
  CONSTRAINT fk_purchase_supplier FOREIGN KEY (supplier_id) REFERENCES supplier (id),
  CONSTRAINT fk_purchase_equipment FOREIGN KEY (equipment_id) REFERENCES equipment (id)
);
CREATE TABLE tag (
  tag VARCHAR(30) NOT NULL PRIMARY KEY
);
CREATE TABLE patient_tag (
  tag VARCHAR(30) NOT NULL,
  patient_id INT NOT NULL,
  PRIMARY KEY (tag, patient_id),
  CONSTRAINT fk_pt_tag FOREIGN KEY (tag) REFERENCES tag (tag),
  CONSTRAINT fk_pt_patient FOREIGN KEY (patient_id) REFERENCES patient (id)
);
CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT,
  at DATETIME NOT NULL,
  actor VARCHAR(60) NOT NULL,
  action VARCHAR(200) NOT NULL,
  PRIMARY KEY (id, at),
  KEY idx_audit_actor (actor)
) PARTITION BY RANGE (YEAR(at)) (
  PARTITION p2024 VALUES LESS THAN (2025),
  PARTITION p2025 VALUES LESS THAN (2026),
  PARTITION pmax VALUES LESS THAN MAXVALUE
);
CREATE TABLE event_stream (
  at DATETIME(6) NOT NULL,
  source VARCHAR(40) NOT NULL,
  payload TEXT
);

CREATE VIEW v_patient_visits AS
  SELECT p.id AS patient_id, p.last_name, COUNT(v.id) AS visits
  FROM patient p LEFT JOIN appointment a ON a.patient_id = p.id LEFT JOIN visit v ON v.appointment_id = a.id
  GROUP BY p.id, p.last_name;
CREATE VIEW v_unpaid_invoices AS SELECT id, patient_id, total FROM invoice WHERE paid = 0;
CREATE VIEW v_staff_load AS
  SELECT s.id, s.last_name, COUNT(a.id) AS appointments
  FROM staff s LEFT JOIN appointment a ON a.staff_id = s.id GROUP BY s.id, s.last_name;

DELIMITER ;;
CREATE TRIGGER tr_line_total AFTER INSERT ON invoice_line FOR EACH ROW
BEGIN
  UPDATE invoice SET total = total + NEW.amount WHERE id = NEW.invoice_id;
END;;
CREATE TRIGGER tr_payment_paid AFTER INSERT ON payment FOR EACH ROW
BEGIN
  UPDATE invoice SET paid = (SELECT SUM(amount) FROM payment WHERE invoice_id = NEW.invoice_id) >= total
  WHERE id = NEW.invoice_id;
END;;
CREATE FUNCTION age_of(born DATE) RETURNS INT DETERMINISTIC
BEGIN
  RETURN TIMESTAMPDIFF(YEAR, born, CURDATE());
END;;
CREATE PROCEDURE discharge(IN p_admission INT)
BEGIN
  UPDATE admission SET discharged = NOW() WHERE id = p_admission;
END;;
DELIMITER ;

INSERT INTO country (name, code) VALUES ('Iceland', 'IS'), ('Portugal', 'PT');
INSERT INTO city (country_id, name, location) VALUES
  (1, 'Reykjavík', ST_GeomFromText('POINT(-21.9426 64.1466)')),
  (2, 'Porto', ST_GeomFromText('POINT(-8.6291053 41.1579438)'));
INSERT INTO address (city_id, line1, postal_code) VALUES (1, 'Laugavegur 1', '101'), (2, 'Rua das Flores 20', '4050');
INSERT INTO clinic (name, address_id, opened, kind) VALUES ('North', 1, '2001-05-01', 'hospital'), ('South', 2, '2015-09-12', 'practice');
INSERT INTO department (clinic_id, name) VALUES (1, 'Cardiology'), (1, 'Radiology'), (2, 'General');
INSERT INTO staff (department_id, first_name, last_name, email, role, skills, salary, hired) VALUES
  (1, 'Anna', 'Jónsdóttir', 'anna@example.org', 'doctor', 'cardiology,surgery', 9100.00, '2010-01-04 08:00:00'),
  (3, 'Rui', 'Costa', 'rui@example.org', 'nurse', '', 3100.50, '2019-03-01 09:00:00');
INSERT INTO patient (first_name, last_name, born, sex, address_id) VALUES ('Jón', 'Sigurðsson', '1980-06-17', 'm', 1), ('Marta', 'Silva', '1992-11-02', 'f', 2);
INSERT INTO invoice (patient_id, issued) VALUES (1, '2025-02-01');
INSERT INTO invoice_line VALUES (1, 1, 'consultation', 80.00), (1, 2, 'ECG', 45.50);
INSERT INTO audit_log (at, actor, action) VALUES ('2024-12-31 23:59:59', 'anna', 'login'), ('2025-01-01 00:00:00', 'rui', 'login');
INSERT INTO event_stream VALUES ('2025-01-01 00:00:00.000001', 'door', 'open');
