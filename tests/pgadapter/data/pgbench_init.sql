create table pgbench_branches (bid bigint primary key, bbalance bigint, filler varchar(88));
create table pgbench_tellers (tid bigint primary key, bid bigint, tbalance bigint, filler varchar(84));
create table pgbench_accounts (aid bigint primary key, bid bigint, abalance bigint, filler varchar(84));
create sequence pgbench_history_seq bit_reversed_positive;
create table pgbench_history (id bigint default nextval('pgbench_history_seq') primary key, tid bigint, bid bigint, aid bigint, delta bigint, mtime timestamptz, filler varchar(22));
set spanner.autocommit_dml_mode = 'partitioned_non_atomic';
copy pgbench_branches (bid, bbalance) from stdin;
1	0
\.
copy pgbench_tellers (tid, bid, tbalance) from stdin;
1	1	0
2	1	0
3	1	0
4	1	0
5	1	0
6	1	0
7	1	0
8	1	0
9	1	0
10	1	0
\.
\copy pgbench_accounts (aid, bid, abalance) from program 'seq 1 100000 | sed "s/$/\t1\t0/"'
