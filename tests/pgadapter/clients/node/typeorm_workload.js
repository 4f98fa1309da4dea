// TypeORM: DataSource with synchronize (its introspection: current_schema(), version(),
// information_schema and pg_catalog reads), typed repository CRUD, transaction rollback,
// a query stream over seq × seq, dropping the schema.
'use strict';
require('reflect-metadata');
const assert = require('node:assert/strict');
const { DataSource, EntitySchema } = require('typeorm');
const c = require('./common');

const Item = new EntitySchema({
  name: 'Item', tableName: 'items',
  columns: {
    // Spanner names a primary key PK_<table> and takes no other name (TypeORM's default is a
    // hash): PGAdapter's TypeORM tests name it so, and the name is then dropped from the DDL
    id: { type: 'bigint', primary: true, primaryKeyConstraintName: 'PK_items' },
    name: { type: 'varchar', length: 50 },
    price: { type: 'numeric', nullable: true }, attrs: { type: 'jsonb', nullable: true },
    created: { type: 'timestamptz', nullable: true }, day: { type: 'date', nullable: true },
    payload: { type: 'bytea', nullable: true }, tags: { type: 'text', array: true, nullable: true },
    scores: { type: 'bigint', array: true, nullable: true },
    active: { type: 'boolean', nullable: true }, r4: { type: 'real', nullable: true },
    r8: { type: 'double precision', nullable: true }, note: { type: 'text', nullable: true },
  },
  indices: [{ name: 'items_by_name', columns: ['name'] }],
});
const Seq = new EntitySchema({ name: 'Seq', tableName: 'seq', columns: {
  id: { type: 'bigint', primary: true, primaryKeyConstraintName: 'PK_seq' },
} });

c.main(async () => {
  const cn = c.connection();
  const ds = new DataSource({
    type: 'postgres', host: cn.host, port: cn.port, username: cn.user, database: cn.database,
    entities: [Item, Seq], synchronize: true, logging: false,
    // synchronize reads the catalog and then runs DDL in one transaction: PGAdapter's documented
    // mode for that commits the reads and runs the DDL outside (Spanner has no DDL transactions)
    extra: { options: '-c spanner.ddl_transaction_mode=autocommit_explicit_transaction' },
  });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  assert.equal(await runner.hasTable('items'), true, 'hasTable');
  const table = await runner.getTable('items');
  assert.deepEqual(table.columns.map((col) => col.name).sort(), [...c.COLUMNS].sort());
  await runner.release();
  await ds.synchronize(); // again: nothing to change
  const repo = ds.getRepository(Item);
  await ds.transaction(async (m) => {
    for (const row of c.ROWS) {
      await m.getRepository(Item).insert(Object.fromEntries(c.COLUMNS.map((k, i) => [k, row[i]])));
    }
  });
  c.checkRows(await repo.find({ order: { id: 'ASC' } }));
  await assert.rejects(ds.transaction(async (m) => {
    await m.getRepository(Item).update({ id: '1' }, { name: 'changed' });
    throw new Error('roll back');
  }), /roll back/);
  assert.equal((await repo.findOneBy({ id: '1' })).name, 'alpha');
  await ds.getRepository(Seq).insert(Array.from({ length: c.SEQ }, (_, i) => ({ id: String(i + 1) })));
  let streamed = 0;
  let sum = 0;
  const qr = ds.createQueryRunner();
  await qr.startTransaction();
  const stream = await qr.stream('SELECT a.id AS a, b.id AS b FROM seq a CROSS JOIN seq b');
  for await (const row of stream) { streamed += 1; sum += Number(row.a); }
  await qr.commitTransaction();
  await qr.release();
  assert.equal(streamed, c.STREAMED);
  await ds.dropDatabase();
  await ds.destroy();
  c.report('typeorm', { streamed, sum, rows: c.ROWS.length });
});
