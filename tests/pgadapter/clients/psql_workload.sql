CREATE TABLE items (id bigint PRIMARY KEY, name varchar(50) NOT NULL, price numeric, attrs jsonb, created timestamptz, day date, payload bytea, tags text[], scores bigint[], active bool, r4 float4, r8 float8, note text);
CREATE TABLE notes (id bigint PRIMARY KEY, item_id bigint NOT NULL, body text, CONSTRAINT fk_notes_items FOREIGN KEY (item_id) REFERENCES items (id));
CREATE INDEX items_by_name ON items (name);
CREATE TABLE seq (id bigint PRIMARY KEY);
PREPARE ins (bigint, varchar, numeric, jsonb, timestamptz, date, bytea, text[], bigint[], bool, float4, float8, text) AS INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);
BEGIN;
EXECUTE ins (1, 'alpha', 12345.678901, '{"k": "v", "n": [1, 2]}', '2024-05-06 07:08:09.123456+00', '2024-05-06', '\x0001feff', ARRAY['x', 'y,z'], ARRAY[1, 2, 3], true, 1.5, 2.25, 'it''s');
EXECUTE ins (2, 'beta', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
EXECUTE ins (3, 'gamma', -0.5, '[1, "two"]', '1999-12-31 23:59:59+00', '1970-01-01', '\x', ARRAY[]::text[], ARRAY[-9007199254740993], false, -0.25, 1e300, 'ünïcode ✓');
COMMIT;
DEALLOCATE ins;
\pset null '<null>'
SELECT * FROM items ORDER BY id;
BEGIN;
UPDATE items SET name = 'changed' WHERE id = 1;
ROLLBACK;
SELECT name FROM items WHERE id = 1;
\copy seq FROM @SEQFILE@
\copy seq TO @OUTFILE@
\dt
\d items
\di
\dn
\set FETCH_COUNT 1000
\pset format unaligned
\pset tuples_only on
\o @STREAMFILE@
SELECT a.id, b.id FROM seq a CROSS JOIN seq b;
\o
