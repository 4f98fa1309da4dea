# Ruby pg with the basic type maps (what ActiveRecord builds on): typed CRUD, transactions with
# rollback, prepared statements, COPY both ways, single-row mode streaming seq × seq.
require 'pg'
require 'json'
require 'bigdecimal'

def check(got, want, what)
  raise "#{what}: got #{got.inspect}, want #{want.inspect}" unless got == want
end

conn = PG.connect(host: ENV['PGHOST'], port: ENV['PGPORT'], dbname: ENV['PGDATABASE'],
                  user: ENV['PGUSER'], sslmode: 'disable')
# both maps read pg_type (typname, typinput, typelem...) to pick their coders
conn.type_map_for_results = PG::BasicTypeMapForResults.new(conn)
conn.type_map_for_queries = PG::BasicTypeMapForQueries.new(conn)
[
  'CREATE TABLE items (id bigint PRIMARY KEY, name varchar(50) NOT NULL, price numeric,' \
  ' attrs jsonb, created timestamptz, day date, payload bytea, tags text[], scores bigint[],' \
  ' active bool, r4 float4, r8 float8, note text)',
  'CREATE TABLE seq (id bigint PRIMARY KEY)'
].each { |s| conn.exec(s) }
rows = [
  [1, 'alpha', BigDecimal('12345.678901'), { 'k' => 'v', 'n' => [1, 2] },
   Time.utc(2024, 5, 6, 7, 8, 9.123456r), Date.new(2024, 5, 6),
   PG::BasicTypeMapForQueries::BinaryData.new("\x00\x01\xfe\xff".b), %w[x y,z], [1, 2, 3], true, 1.5, 2.25, "it's"],
  [2, 'beta', nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil],
  [3, 'gamma', BigDecimal('-0.5'), [1, 'two'], Time.utc(1999, 12, 31, 23, 59, 59),
   Date.new(1970, 1, 1), PG::BasicTypeMapForQueries::BinaryData.new(''.b), [], [-9007199254740993], false, -0.25, 1e300,
   'ünïcode ✓']
]
cols = 'id, name, price, attrs, created, day, payload, tags, scores, active, r4, r8, note'
conn.transaction do |c|
  c.prepare('ins', "INSERT INTO items (#{cols}) VALUES (#{(1..13).map { |i| "$#{i}" }.join(', ')})")
  rows.each do |r|
    params = r.each_with_index.map { |v, i| i == 3 && !v.nil? ? JSON.generate(v) : v }
    c.exec_prepared('ins', params)
  end
end
got = conn.exec("SELECT #{cols} FROM items ORDER BY id").values
check(got.length, 3, 'row count')
check(got[0][0], 1, 'int8')
check(got[0][2], BigDecimal('12345.678901'), 'numeric')
check(got[0][3].is_a?(String) ? JSON.parse(got[0][3]) : got[0][3], rows[0][3], 'jsonb')
check(got[0][4].utc.to_r, rows[0][4].to_r, 'timestamptz')
check(got[0][5], rows[0][5], 'date')
check(got[0][6], "\x00\x01\xfe\xff".b, 'bytea')
check(got[0][7], %w[x y,z], 'text[]')
check(got[0][8], [1, 2, 3], 'int8[]')
check(got[0][9..12], [true, 1.5, 2.25, "it's"], 'bool, float4, float8, text')
check(got[1][2..], [nil] * 11, 'nulls')
check(got[2][8], [-9007199254740993], 'big int8 in array')
check(got[2][12], 'ünïcode ✓', 'unicode text')
begin
  conn.transaction do |c|
    c.exec("UPDATE items SET name = 'changed' WHERE id = 1")
    raise 'roll back'
  end
rescue RuntimeError
end
check(conn.exec('SELECT name FROM items WHERE id = 1').getvalue(0, 0), 'alpha', 'after rollback')
conn.prepare('by_id', 'SELECT name FROM items WHERE id = $1')
(1..3).each { |i| check(conn.exec_prepared('by_id', [i]).getvalue(0, 0), rows[i - 1][1], "prepared #{i}") }
conn.copy_data('COPY seq (id) FROM STDIN') { (1..200).each { |i| conn.put_copy_data("#{i}\n") } }
copied = []
conn.copy_data('COPY seq TO STDOUT') { while (line = conn.get_copy_data) do copied << line.to_i end }
check(copied.sort, (1..200).to_a, 'COPY TO STDOUT')
streamed = 0
sum = 0
conn.transaction do |c|
  c.send_query('SELECT a.id, b.id FROM seq a CROSS JOIN seq b')
  c.set_single_row_mode
  c.get_result.stream_each_row { |a, _b| streamed += 1; sum += a }
  c.get_result
end
check(streamed, 40_000, 'streamed rows')
conn.close
puts "RESULT #{JSON.generate(client: 'ruby-pg', copied: copied.length, rows: 3, streamed: streamed, sum: sum)}"
