// What the Node workloads share: the schema, the typed rows, value checks, the RESULT line.
'use strict';
const assert = require('node:assert/strict');

const DDL = [
  'CREATE TABLE items (id bigint PRIMARY KEY, name varchar(50) NOT NULL, price numeric,' +
    ' attrs jsonb, created timestamptz, day date, payload bytea, tags text[], scores bigint[],' +
    ' active bool, r4 float4, r8 float8, note text)',
  'CREATE TABLE notes (id bigint PRIMARY KEY, item_id bigint NOT NULL, body text,' +
    ' CONSTRAINT fk_notes_items FOREIGN KEY (item_id) REFERENCES items (id))',
  'CREATE INDEX items_by_name ON items (name)',
  'CREATE TABLE seq (id bigint PRIMARY KEY)',
];
const COLUMNS = ['id', 'name', 'price', 'attrs', 'created', 'day', 'payload', 'tags', 'scores',
  'active', 'r4', 'r8', 'note'];
// node-postgres' own text forms: int8 and numeric as strings, date as 'YYYY-MM-DD' (types set
// below), timestamptz as Date (millisecond precision: the .123456 arrives as .123)
const ROWS = [
  ['1', 'alpha', '12345.678901', { k: 'v', n: [1, 2] }, new Date('2024-05-06T07:08:09.123Z'),
    '2024-05-06', Buffer.from([0, 1, 0xfe, 0xff]), ['x', 'y,z'], ['1', '2', '3'], true, 1.5, 2.25,
    "it's"],
  ['2', 'beta', null, null, null, null, null, null, null, null, null, null, null],
  ['3', 'gamma', '-0.5', [1, 'two'], new Date('1999-12-31T23:59:59Z'), '1970-01-01',
    Buffer.alloc(0), [], ['-9007199254740993'], false, -0.25, 1e300, 'ünïcode ✓'],
];
const SEQ = 200;
const STREAMED = SEQ * SEQ;

function insertParams(row) {
  // the driver sends JS arrays as PostgreSQL arrays: jsonb needs its JSON text
  return row.map((v, i) => (i === 3 && v !== null ? JSON.stringify(v) : v));
}

function checkRows(got, what = 'items') {
  assert.equal(got.length, ROWS.length, `${what} row count`);
  got.forEach((row, r) => {
    COLUMNS.forEach((c, i) => {
      let v = Array.isArray(row) ? row[i] : row[c];
      let want = ROWS[r][i];
      if (c === 'created' && v !== null) v = new Date(v).getTime(), want = want.getTime();
      if (c === 'payload' && v !== null) v = Buffer.from(v);
      if (c === 'attrs' && typeof v === 'string') v = JSON.parse(v);
      if (c === 'day' && v instanceof Date) v = v.toISOString().slice(0, 10);
      if ((c === 'id' || c === 'price') && v !== null) v = String(v), want = String(want);
      if (c === 'price' && v !== null) v = String(Number(v)), want = String(Number(want));
      if (c === 'scores' && v !== null) v = v.map(String);
      assert.deepEqual(v, want, `${what} id=${ROWS[r][0]} column ${c}`);
    });
  });
}

function report(client, facts) {
  console.log('RESULT ' + JSON.stringify({ client, ...facts }));
}

function connection() {
  return {
    host: process.env.PGHOST, port: Number(process.env.PGPORT),
    database: process.env.PGDATABASE, user: process.env.PGUSER,
  };
}

function main(fn) {
  fn().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
}

module.exports = { DDL, COLUMNS, ROWS, SEQ, STREAMED, insertParams, checkRows, report, connection, main };
