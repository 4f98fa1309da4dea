// Knex: schema builder DDL (createTable, hasTable, hasColumn — its introspection), typed CRUD,
// transactions with rollback, a streamed select of seq × seq, dropTable.
'use strict';
const assert = require('node:assert/strict');
const pg = require('pg');
const c = require('./common');

pg.types.setTypeParser(1082, (v) => v);

c.main(async () => {
  const knex = require('knex')({ client: 'pg', connection: c.connection(), pool: { min: 1, max: 2 } });
  await knex.schema.createTable('items', (t) => {
    t.bigInteger('id').primary();
    t.string('name', 50).notNullable().index('items_by_name');
    t.decimal('price', null); t.jsonb('attrs'); t.timestamp('created', { useTz: true });
    t.date('day'); t.binary('payload'); t.specificType('tags', 'text[]');
    t.specificType('scores', 'bigint[]'); t.boolean('active'); t.float('r4'); t.double('r8');
    t.text('note');
  });
  await knex.schema.createTable('seq', (t) => { t.bigInteger('id').primary(); });
  assert.equal(await knex.schema.hasTable('items'), true, 'hasTable items');
  assert.equal(await knex.schema.hasTable('nope'), false, 'hasTable nope');
  assert.equal(await knex.schema.hasColumn('items', 'attrs'), true, 'hasColumn');
  const info = await knex('items').columnInfo();
  assert.deepEqual(Object.keys(info), c.COLUMNS, 'columnInfo');
  await knex.transaction(async (trx) => {
    for (const row of c.ROWS) {
      const values = Object.fromEntries(c.COLUMNS.map((k, i) => [k, c.insertParams(row)[i]]));
      await trx('items').insert(values);
    }
  });
  c.checkRows(await knex('items').select(c.COLUMNS).orderBy('id'));
  await assert.rejects(knex.transaction(async (trx) => {
    await trx('items').where({ id: 1 }).update({ name: 'changed' });
    throw new Error('roll back');
  }), /roll back/);
  assert.equal((await knex('items').where({ id: 1 }).first('name')).name, 'alpha');
  const seqRows = Array.from({ length: c.SEQ }, (_, i) => ({ id: i + 1 }));
  await knex.batchInsert('seq', seqRows, 100);
  let streamed = 0;
  let sum = 0;
  await knex.transaction(async (trx) => {
    const stream = trx.raw('SELECT a.id AS a, b.id AS b FROM seq a CROSS JOIN seq b').stream();
    for await (const row of stream) { streamed += 1; sum += Number(row.a); }
  });
  assert.equal(streamed, c.STREAMED);
  await knex.schema.dropTable('items');
  assert.equal(await knex.schema.hasTable('items'), false, 'dropped');
  await knex.destroy();
  c.report('knex', { streamed, sum, rows: c.ROWS.length });
});
