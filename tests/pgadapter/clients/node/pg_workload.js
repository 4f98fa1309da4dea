// node-postgres: typed CRUD, transactions, named prepared statements, COPY both ways
// (pg-copy-streams), a pg-query-stream cursor over seq × seq, and the batch DML sample's
// START BATCH DML / RUN BATCH.
'use strict';
const assert = require('node:assert/strict');
const { pipeline } = require('node:stream/promises');
const { Readable, Writable } = require('node:stream');
const pg = require('pg');
const QueryStream = require('pg-query-stream');
const { from: copyFrom, to: copyTo } = require('pg-copy-streams');
const c = require('./common');

pg.types.setTypeParser(1082, (v) => v); // date as text: no local time zone shift

c.main(async () => {
  const client = new pg.Client(c.connection());
  await client.connect();
  for (const stmt of c.DDL) await client.query(stmt);
  const params = c.COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
  await client.query('BEGIN');
  for (const row of c.ROWS) {
    await client.query(`INSERT INTO items (${c.COLUMNS.join(', ')}) VALUES (${params})`, c.insertParams(row));
  }
  await client.query('COMMIT');
  const got = await client.query({ text: `SELECT ${c.COLUMNS.join(', ')} FROM items ORDER BY id`, rowMode: 'array' });
  c.checkRows(got.rows);
  await client.query('BEGIN');
  await client.query("UPDATE items SET name = 'changed' WHERE id = 1");
  await client.query('ROLLBACK');
  assert.equal((await client.query('SELECT name FROM items WHERE id = 1')).rows[0].name, 'alpha');
  for (let i = 1; i <= 3; i++) {
    const r = await client.query({ name: 'by_id', text: 'SELECT name FROM items WHERE id = $1', values: [i] });
    assert.equal(r.rows[0].name, c.ROWS[i - 1][1]);
  }
  await assert.rejects(client.query('INSERT INTO notes (id, item_id) VALUES (2, 99)'), (e) => e.code === '23503');
  await pipeline(
    Readable.from(Array.from({ length: c.SEQ }, (_, i) => `${i + 1}\n`)),
    client.query(copyFrom('COPY seq (id) FROM STDIN')),
  );
  let text = '';
  await pipeline(client.query(copyTo('COPY seq TO STDOUT')), new Writable({
    write(chunk, _e, done) { text += chunk; done(); },
  }));
  const copied = text.split('\n').filter(Boolean).map(Number).sort((a, b) => a - b);
  assert.deepEqual(copied, Array.from({ length: c.SEQ }, (_, i) => i + 1));
  // PGAdapter's batch DML statements: RUN BATCH returns the update counts
  await client.query('START BATCH DML');
  await client.query("INSERT INTO notes (id, item_id, body) VALUES (10, 1, 'a')");
  await client.query("UPDATE notes SET body = 'b' WHERE id = 10");
  const batch = await client.query('RUN BATCH');
  assert.deepEqual(batch.rows[0].UPDATE_COUNTS.map(Number), [1, 1], 'RUN BATCH update counts');
  let streamed = 0;
  let sum = 0;
  await client.query('BEGIN');
  const stream = client.query(new QueryStream('SELECT a.id, b.id AS b FROM seq a CROSS JOIN seq b', [], { batchSize: 1000 }));
  for await (const row of stream) { streamed += 1; sum += Number(row.id); }
  await client.query('COMMIT');
  assert.equal(streamed, c.STREAMED);
  await client.end();
  c.report('node-postgres', { streamed, sum, copied: copied.length, rows: c.ROWS.length });
});
