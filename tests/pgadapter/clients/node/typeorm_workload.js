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
    payload: { type: 'bytea', nullable: true },
    // Spanner's text is character varying, and its catalog says so: declared as varchar, the
    // schema TypeORM reads back matches the entity (as in PGAdapter's TypeORM sample)
    tags: { type: 'varchar', array: true, nullable: true },
    scores: { type: 'bigint', array: true, nullable: true },
    active: { type: 'boolean', nullable: true }, r4: { type: 'real', nullable: true },
    r8: { type: 'double precision', nullable: true }, note: { type: 'varchar', nullable: true },
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
  // what TypeORM read back from the catalog is what the entity declares
  const col = (name) => table.findColumnByName(name);
  assert.equal(col('id').isPrimary, true);
  assert.equal(col('id').primaryKeyConstraintName, 'PK_items');
  assert.equal(col('name').type, 'character varying');
  assert.equal(col('name').length, '50');
  assert.equal(col('name').isNullable, false);
  assert.equal(col('note').isNullable, true);
  assert.deepEqual([col('tags').type, col('tags').isArray], ['character varying', true]);
  assert.deepEqual([col('scores').type, col('scores').isArray], ['bigint', true]);
  assert.equal(col('created').type, 'timestamp with time zone');
  assert.equal(col('attrs').type, 'jsonb');
  assert.deepEqual(table.indices.map((ix) => [ix.name, ix.columnNames, ix.isUnique]),
    [['items_by_name', ['name'], false]]);
  assert.deepEqual(table.foreignKeys, []);
  // every table (TypeORM's query with no filter, as for migrations of a whole schema)
  const names = (await runner.getTables()).map((t) => t.name);
  assert.ok(names.includes('items') && names.includes('seq'), `getTables: ${names}`);
  await runner.release();
  // the schema read back matches the entities: synchronize has nothing to change
  const pending = await ds.driver.createSchemaBuilder().log();
  assert.deepEqual(pending.upQueries.map((q) => q.query), [], 'synchronize would change');
  await ds.synchronize();
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
  // dropDatabase drops views first (pg_views, DROP VIEW ... CASCADE), then tables
  await ds.query('CREATE VIEW item_names SQL SECURITY INVOKER AS SELECT id, name FROM items');
  await ds.dropDatabase();
  const after = ds.createQueryRunner();
  assert.equal(await after.hasTable('items'), false, 'dropDatabase dropped items');
  assert.equal(await after.hasTable('seq'), false, 'dropDatabase dropped seq');
  assert.deepEqual(await after.query("SELECT viewname FROM pg_views WHERE schemaname = 'public'"),
    [], 'dropDatabase dropped the view');
  await after.release();
  await ds.destroy();
  c.report('typeorm', { streamed, sum, rows: c.ROWS.length });
});
