<?php
// PHP PDO pgsql: typed CRUD with bound parameters, transactions with rollback, prepared
// statements, pgsqlCopyFromArray / pgsqlCopyToArray (COPY t TO STDIN), an unbuffered
// cursor over seq × seq, and PDO's getColumnMeta (its pg_type/pg_attribute look-ups).
function check($got, $want, $what) {
    if ($got !== $want) {
        throw new Exception("$what: got " . var_export($got, true) . ', want ' . var_export($want, true));
    }
}
$dsn = sprintf('pgsql:host=%s;port=%s;dbname=%s;sslmode=disable', getenv('PGHOST'), getenv('PGPORT'), getenv('PGDATABASE'));
$db = new PDO($dsn, getenv('PGUSER'), null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$db->exec('CREATE TABLE items (id bigint PRIMARY KEY, name varchar(50) NOT NULL, price numeric,'
    . ' attrs jsonb, created timestamptz, day date, payload bytea, tags text[], scores bigint[],'
    . ' active bool, r4 float4, r8 float8, note text)');
$db->exec('CREATE TABLE seq (id bigint PRIMARY KEY)');
$db->beginTransaction();
$ins = $db->prepare('INSERT INTO items (id, name, price, attrs, created, day, payload, tags, scores,'
    . ' active, r4, r8, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
$payload = "\x00\x01\xfe\xff";
$rows = [
    [1, 'alpha', '12345.678901', '{"k": "v", "n": [1, 2]}', '2024-05-06 07:08:09.123456+00', '2024-05-06', $payload, '{x,"y,z"}', '{1,2,3}', true, 1.5, 2.25, "it's"],
    [2, 'beta', null, null, null, null, null, null, null, null, null, null, null],
    [3, 'gamma', '-0.5', '[1, "two"]', '1999-12-31 23:59:59+00', '1970-01-01', '', '{}', '{-9007199254740993}', false, -0.25, 1e300, 'ünïcode ✓'],
];
foreach ($rows as $r) {
    foreach ($r as $i => $v) {
        $type = $v === null ? PDO::PARAM_NULL : (is_bool($v) ? PDO::PARAM_BOOL : ($i === 6 ? PDO::PARAM_LOB : PDO::PARAM_STR));
        $ins->bindValue($i + 1, $v, $type);
    }
    $ins->execute();
}
$db->commit();
$got = $db->query('SELECT * FROM items ORDER BY id')->fetchAll(PDO::FETCH_NUM);
check(count($got), 3, 'rows');
check($got[0][0], 1, 'int8');
check($got[0][1], 'alpha', 'varchar');
check($got[0][2], '12345.678901', 'numeric');
check(json_decode($got[0][3], true), ['k' => 'v', 'n' => [1, 2]], 'jsonb');
check($got[0][4], '2024-05-06 07:08:09.123456+00', 'timestamptz');
check($got[0][5], '2024-05-06', 'date');
check(stream_get_contents($got[0][6]), $payload, 'bytea');
check($got[0][7], '{x,"y,z"}', 'text[]');
check($got[0][8], '{1,2,3}', 'int8[]');
check($got[0][9], true, 'bool');
check((float) $got[0][10], 1.5, 'float4');
check((float) $got[0][11], 2.25, 'float8');
check($got[0][12], "it's", 'text');
check(array_slice($got[1], 2), array_fill(0, 11, null), 'nulls');
check($got[2][8], '{-9007199254740993}', 'int8 array');
check($got[2][12], 'ünïcode ✓', 'unicode');
$meta = $db->query('SELECT * FROM items LIMIT 1')->getColumnMeta(3);
check($meta['native_type'], 'jsonb', 'getColumnMeta native_type');
$db->beginTransaction();
$db->exec("UPDATE items SET name = 'changed' WHERE id = 1");
$db->rollBack();
$q = $db->prepare('SELECT name FROM items WHERE id = ?');
foreach ([1, 2, 3] as $i) {
    $q->execute([$i]);
    check($q->fetchColumn(), $rows[$i - 1][1], "prepared $i");
}
check($db->pgsqlCopyFromArray('seq', array_map(fn($i) => "$i", range(1, 200))), true, 'copy from');
$copied = $db->pgsqlCopyToArray('seq');
$copied = array_map('intval', $copied);
sort($copied);
check($copied, range(1, 200), 'pgsqlCopyToArray');
$db->setAttribute(PDO::PGSQL_ATTR_DISABLE_PREPARES, false);
$streamed = 0;
$sum = 0;
$db->beginTransaction();
$st = $db->prepare('SELECT a.id, b.id FROM seq a CROSS JOIN seq b', [PDO::ATTR_CURSOR => PDO::CURSOR_SCROLL]);
$st->execute();
while ($row = $st->fetch(PDO::FETCH_NUM)) {
    $streamed++;
    $sum += $row[0];
}
$db->commit();
check($streamed, 40000, 'streamed rows');
echo 'RESULT ' . json_encode(['client' => 'php-pdo-pgsql', 'copied' => count($copied), 'rows' => 3, 'streamed' => $streamed, 'sum' => $sum]) . "\n";
