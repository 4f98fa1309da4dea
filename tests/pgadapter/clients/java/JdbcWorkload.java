// JDBC (PostgreSQL driver): typed CRUD through PreparedStatement, jsonb as PGobject,
// transactions with rollback, batches, CopyManager both ways, a fetch-size cursor streaming
// seq × seq, and the DatabaseMetaData calls tools (DBeaver, Liquibase, Hibernate) make.
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.*;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.*;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.postgresql.util.PGobject;

public class JdbcWorkload {
  static final int SEQ = 200;

  static void check(Object got, Object want, String what) {
    if (!Objects.equals(got, want)) {
      throw new AssertionError(what + ": got " + got + ", want " + want);
    }
  }

  static List<String> column(ResultSet rs, String name) throws SQLException {
    List<String> out = new ArrayList<>();
    while (rs.next()) out.add(rs.getString(name));
    rs.close();
    return out;
  }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT")
        + "/" + System.getenv("PGDATABASE");
    Properties props = new Properties();
    props.setProperty("user", System.getenv("PGUSER"));
    props.setProperty("sslmode", "disable");
    try (Connection conn = DriverManager.getConnection(url, props)) {
      try (Statement st = conn.createStatement()) {
        st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name varchar(50) NOT NULL,"
            + " price numeric, attrs jsonb, created timestamptz, day date, payload bytea,"
            + " tags text[], scores bigint[], active bool, r4 float4, r8 float8, note text)");
        st.execute("CREATE TABLE notes (id bigint PRIMARY KEY, item_id bigint NOT NULL,"
            + " body text, CONSTRAINT fk_notes_items FOREIGN KEY (item_id) REFERENCES items (id))");
        st.execute("CREATE INDEX items_by_name ON items (name)");
        st.execute("CREATE TABLE seq (id bigint PRIMARY KEY)");
      }
      conn.setAutoCommit(false);
      OffsetDateTime created = OffsetDateTime.of(2024, 5, 6, 7, 8, 9, 123456000, ZoneOffset.UTC);
      try (PreparedStatement ps = conn.prepareStatement("INSERT INTO items (id, name, price, attrs,"
          + " created, day, payload, tags, scores, active, r4, r8, note)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        PGobject json = new PGobject();
        json.setType("jsonb");
        json.setValue("{\"k\": \"v\", \"n\": [1, 2]}");
        ps.setLong(1, 1);
        ps.setString(2, "alpha");
        ps.setBigDecimal(3, new BigDecimal("12345.678901"));
        ps.setObject(4, json);
        ps.setObject(5, created);
        ps.setObject(6, LocalDate.of(2024, 5, 6));
        ps.setBytes(7, new byte[] {0, 1, (byte) 0xfe, (byte) 0xff});
        ps.setArray(8, conn.createArrayOf("text", new String[] {"x", "y,z"}));
        ps.setArray(9, conn.createArrayOf("bigint", new Long[] {1L, 2L, 3L}));
        ps.setBoolean(10, true);
        ps.setFloat(11, 1.5f);
        ps.setDouble(12, 2.25);
        ps.setString(13, "it's");
        ps.addBatch();
        ps.setLong(1, 2);
        ps.setString(2, "beta");
        for (int i = 3; i <= 13; i++) ps.setNull(i, Types.NULL);
        ps.addBatch();
        ps.setLong(1, 3);
        ps.setString(2, "gamma");
        ps.setBigDecimal(3, new BigDecimal("-0.5"));
        PGobject list = new PGobject();
        list.setType("jsonb");
        list.setValue("[1, \"two\"]");
        ps.setObject(4, list);
        ps.setObject(5, OffsetDateTime.of(1999, 12, 31, 23, 59, 59, 0, ZoneOffset.UTC));
        ps.setObject(6, LocalDate.of(1970, 1, 1));
        ps.setBytes(7, new byte[0]);
        ps.setArray(8, conn.createArrayOf("text", new String[0]));
        ps.setArray(9, conn.createArrayOf("bigint", new Long[] {-9007199254740993L}));
        ps.setBoolean(10, false);
        ps.setFloat(11, -0.25f);
        ps.setDouble(12, 1e300);
        ps.setString(13, "ünïcode ✓");
        ps.addBatch();
        int[] counts = ps.executeBatch();
        check(Arrays.toString(counts), "[1, 1, 1]", "batch update counts");
      }
      conn.commit();
      try (Statement st = conn.createStatement();
          ResultSet rs = st.executeQuery("SELECT * FROM items ORDER BY id")) {
        check(rs.next(), true, "row 1");
        check(rs.getLong("id"), 1L, "id");
        check(rs.getBigDecimal("price"), new BigDecimal("12345.678901"), "numeric");
        Object attrs = rs.getObject("attrs");
        check(attrs instanceof PGobject, true, "jsonb as PGobject (" + attrs.getClass() + ")");
        check(((PGobject) attrs).getType(), "jsonb", "jsonb PGobject type");
        check(rs.getObject("created", OffsetDateTime.class).toInstant(), created.toInstant(), "tstz");
        check(rs.getObject("day", LocalDate.class), LocalDate.of(2024, 5, 6), "date");
        check(Arrays.toString(rs.getBytes("payload")), "[0, 1, -2, -1]", "bytea");
        check(Arrays.asList((Object[]) rs.getArray("tags").getArray()), List.of("x", "y,z"), "text[]");
        check(Arrays.asList((Object[]) rs.getArray("scores").getArray()), List.of(1L, 2L, 3L), "int8[]");
        check(rs.getBoolean("active"), true, "bool");
        check(rs.getFloat("r4"), 1.5f, "float4");
        check(rs.getDouble("r8"), 2.25, "float8");
        check(rs.getString("note"), "it's", "text");
        check(rs.next(), true, "row 2");
        check(rs.getObject("attrs"), null, "null jsonb");
        check(rs.next(), true, "row 3");
        check(rs.getArray("scores").getArray() instanceof Long[], true, "int8[] as Long[]");
        check(((Long[]) rs.getArray("scores").getArray())[0], -9007199254740993L, "big int8");
        check(rs.getString("note"), "ünïcode ✓", "unicode");
        check(rs.next(), false, "three rows");
      }
      conn.commit();
      try (Statement st = conn.createStatement()) {
        st.executeUpdate("UPDATE items SET name = 'changed' WHERE id = 1");
      }
      conn.rollback();
      try (PreparedStatement ps = conn.prepareStatement("SELECT name FROM items WHERE id = ?")) {
        for (int i = 0; i < 6; i++) { // past prepareThreshold: a named server-side statement
          ps.setLong(1, 1);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            check(rs.getString(1), "alpha", "after rollback, execution " + i);
          }
        }
      }
      conn.commit();
      try (Statement st = conn.createStatement()) {
        st.executeUpdate("INSERT INTO notes (id, item_id) VALUES (2, 99)");
        throw new AssertionError("FK violation accepted");
      } catch (SQLException e) {
        check(e.getSQLState(), "23503", "FK violation SQLSTATE");
        conn.rollback();
      }
      // DatabaseMetaData
      DatabaseMetaData md = conn.getMetaData();
      check(column(md.getSchemas(), "TABLE_SCHEM").contains("public"), true, "getSchemas");
      List<String> tables = column(md.getTables(null, "public", "%", new String[] {"TABLE"}), "TABLE_NAME");
      Collections.sort(tables);
      check(tables, List.of("items", "notes", "seq"), "getTables");
      check(column(md.getColumns(null, "public", "items", "%"), "COLUMN_NAME"),
          List.of("id", "name", "price", "attrs", "created", "day", "payload", "tags", "scores",
              "active", "r4", "r8", "note"), "getColumns");
      check(column(md.getPrimaryKeys(null, "public", "items"), "COLUMN_NAME"), List.of("id"), "getPrimaryKeys");
      ResultSet fk = md.getImportedKeys(null, "public", "notes");
      check(fk.next(), true, "getImportedKeys row");
      check(fk.getString("PKTABLE_NAME") + "." + fk.getString("PKCOLUMN_NAME") + " <- "
          + fk.getString("FKCOLUMN_NAME"), "items.id <- item_id", "getImportedKeys");
      fk.close();
      List<String> ix = column(md.getIndexInfo(null, "public", "items", false, false), "INDEX_NAME");
      Collections.sort(ix);
      check(ix, List.of("items_by_name", "items_pkey"), "getIndexInfo");
      conn.commit();
      CopyManager copy = ((PGConnection) conn).getCopyAPI();
      StringBuilder sb = new StringBuilder();
      for (int i = 1; i <= SEQ; i++) sb.append(i).append('\n');
      long copiedIn = copy.copyIn("COPY seq (id) FROM STDIN", new StringReader(sb.toString()));
      conn.commit();
      StringWriter out = new StringWriter();
      copy.copyOut("COPY seq TO STDOUT", out);
      int copied = out.toString().split("\n").length;
      check(copied, SEQ, "COPY TO STDOUT rows (copied in " + copiedIn + ")");
      conn.commit();
      long streamed = 0, sum = 0;
      try (Statement st = conn.createStatement()) {
        st.setFetchSize(1000);
        try (ResultSet rs = st.executeQuery("SELECT a.id, b.id FROM seq a CROSS JOIN seq b")) {
          while (rs.next()) {
            streamed++;
            sum += rs.getLong(1);
          }
        }
      }
      conn.commit();
      check(streamed, (long) SEQ * SEQ, "streamed rows");
      System.out.println("RESULT {\"client\": \"jdbc\", \"copied\": " + copied + ", \"rows\": 3"
          + ", \"streamed\": " + streamed + ", \"sum\": " + sum + "}");
    }
  }
}
