// Sequelize: sync() (its introspection: pg_range/pg_type at connect, describeTable, showAllTables,
// showIndex), typed model CRUD, managed transaction rollback, findAll over seq × seq, drop.
'use strict';
const assert = require('node:assert/strict');
const { Sequelize, DataTypes } = require('sequelize');
const c = require('./common');

c.main(async () => {
  const cn = c.connection();
  const sequelize = new Sequelize(cn.database, cn.user, null, {
    host: cn.host, port: cn.port, dialect: 'postgres', logging: false,
  });
  await sequelize.authenticate();
  const Item = sequelize.define('items', {
    id: { type: DataTypes.BIGINT, primaryKey: true },
    name: { type: DataTypes.STRING(50), allowNull: false },
    price: DataTypes.DECIMAL, attrs: DataTypes.JSONB, created: DataTypes.DATE,
    day: DataTypes.DATEONLY, payload: DataTypes.BLOB, tags: DataTypes.ARRAY(DataTypes.TEXT),
    scores: DataTypes.ARRAY(DataTypes.BIGINT), active: DataTypes.BOOLEAN, r4: DataTypes.REAL,
    r8: DataTypes.DOUBLE, note: DataTypes.TEXT,
  }, { timestamps: false, indexes: [{ name: 'items_by_name', fields: ['name'] }] });
  const Seq = sequelize.define('seq', { id: { type: DataTypes.BIGINT, primaryKey: true } },
    { timestamps: false, freezeTableName: true });
  await sequelize.sync();
  await sequelize.sync(); // again: finds the tables and indexes, changes nothing
  const qi = sequelize.getQueryInterface();
  assert.deepEqual((await qi.showAllTables()).sort(), ['items', 'seq']);
  assert.deepEqual(Object.keys(await qi.describeTable('items')), c.COLUMNS);
  await sequelize.transaction(async (transaction) => {
    for (const row of c.ROWS) {
      await Item.create(Object.fromEntries(c.COLUMNS.map((k, i) => [k, row[i]])), { transaction });
    }
  });
  const got = await Item.findAll({ order: [['id', 'ASC']], raw: true });
  c.checkRows(got);
  await assert.rejects(sequelize.transaction(async (transaction) => {
    await Item.update({ name: 'changed' }, { where: { id: 1 }, transaction });
    throw new Error('roll back');
  }), /roll back/);
  assert.equal((await Item.findByPk(1)).name, 'alpha');
  await Seq.bulkCreate(Array.from({ length: c.SEQ }, (_, i) => ({ id: i + 1 })));
  const [rows] = await sequelize.query('SELECT a.id AS a, b.id AS b FROM seq a CROSS JOIN seq b');
  const streamed = rows.length;
  const sum = rows.reduce((s, r) => s + Number(r.a), 0);
  assert.equal(streamed, c.STREAMED);
  await Item.drop();
  assert.deepEqual(await qi.showAllTables(), ['seq']);
  await sequelize.close();
  c.report('sequelize', { streamed, sum, rows: c.ROWS.length });
});
