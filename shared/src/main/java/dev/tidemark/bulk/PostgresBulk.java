package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.postgres.SqlStates;
import org.postgresql.PGConnection;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.Parser;
import org.postgresql.core.Utils;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL bulk export and import through {@code COPY ... TO STDOUT} / {@code FROM STDIN} (pgjdbc's
 * {@link CopyManager}), streamed: one row in memory at a time on export, one read buffer on import.
 * <ul>
 *   <li>Export: {@code COPY (SELECT * FROM t WHERE (key) > (cursor) ORDER BY key) TO STDOUT (FORMAT csv, HEADER)} in a
 *       read-only transaction; ndjson rows are {@code row_to_json} (numeric keeps every digit, bytea is {@code \x} hex,
 *       timestamptz is ISO 8601 with offset).</li>
 *   <li>Import: every part is one transaction, committed only when its row count and SHA-256 match the manifest.
 *       ndjson rows are copied into a temporary {@code jsonb} table and inserted with {@code jsonb_populate_record}.</li>
 * </ul>
 */
final class PostgresBulk {

    private static final String NDJSON_COPY = "(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')";

    private PostgresBulk() {
    }

    /** A resolved table: its quoted name, columns and primary key. */
    record Table(String quoted, String schema, String name, List<String> columns, List<String> primaryKey) {
    }

    static Table table(Connection c, String field, String name) throws SQLException {
        String regclass;
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?)::oid")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                regclass = rs.getString(1);
            }
        }
        if (regclass == null) {
            throw new ValidationException(field + ": no table '" + name + "' in database " + c.getCatalog());
        }
        String schema;
        String rel;
        String quoted;
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname), c.relkind "
            + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ?::oid")) {
            ps.setString(1, regclass);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                schema = rs.getString(1);
                rel = rs.getString(2);
                quoted = rs.getString(3);
                if (!List.of("r", "p").contains(rs.getString(4))) {
                    throw new ValidationException(field + ": '" + name + "' is not a table");
                }
            }
        }
        List<String> columns = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = ?::oid AND attnum > 0 "
            + "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum")) {
            ps.setString(1, regclass);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }
        List<String> pk = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            + "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::oid AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)")) {
            ps.setString(1, regclass);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pk.add(rs.getString(1));
                }
            }
        }
        return new Table(quoted, schema, rel, columns, pk);
    }

    static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** A string literal, escaped by the driver for the session's {@code standard_conforming_strings}. */
    private static String literal(Connection c, String text) throws SQLException {
        if (text.indexOf('\0') >= 0) {
            throw new ValidationException("continuation: malformed");
        }
        return Utils.escapeLiteral(new StringBuilder("'"), text, c.unwrap(BaseConnection.class).getStandardConformingStrings()).append('\'').toString();
    }

    // ---------------------------------------------------------------- export

    /** The temporary view an export query is defined as (session-local, dropped with the connection). */
    static final String QUERY_VIEW = "pg_temp.tidemark_export_source";
    /** How long defining and checking a source may take: 30 s. */
    static final long PREPARE_TIMEOUT_MILLIS = 30_000;

    /**
     * Opens an export. The store proves what it can, so that a hostile {@code source} cannot change anything:
     * <ul>
     *   <li>a query is sent as one statement through the extended protocol (the driver's own splitter must find exactly
     *       one statement, and the server refuses a second one in a single Parse message) as the body of a temporary
     *       view, so the server's parser accepts only a query (no data-modifying statement, no {@code COMMIT}, no second
     *       statement); the relations the view reads are then checked in the catalog;</li>
     *   <li>the rows are read by {@code COPY (SELECT * FROM view-or-table ...)}, whose text holds no byte of the event,
     *       in a transaction started {@code READ ONLY}, which no part of the query can end;</li>
     *   <li>{@code statement_timeout} bounds the definition (30 s) and the copy ({@code timeoutMillis}),
     *       {@code idle_in_transaction_session_timeout} reclaims a session whose invocation died;</li>
     *   <li>the reader role (README, Security) has no right to write, to read {@code pg_authid} or to call
     *       {@code pg_read_file}: the database refuses what the checks above would miss.</li>
     * </ul>
     *
     * @param c a connection of the reader role (autocommit is turned off; the export's transaction is read-only)
     * @param r the request
     * @param cursor the key values after which to continue, or {@code null}
     * @param timeoutMillis the longest the copy may run (the invocation's remaining time)
     * @return the source
     * @throws ValidationException naming {@code source.table}, {@code source.query} or {@code source.key}
     */
    static RecordSource export(Connection c, ExportRequest r, JsonNode cursor, long timeoutMillis) {
        try {
            c.setAutoCommit(false);
            setting(c, "statement_timeout", PREPARE_TIMEOUT_MILLIS + "ms");
            setting(c, "idle_in_transaction_session_timeout", "60s");
            setting(c, "lock_timeout", "10s");
            ExportRequest.Source s = r.source();
            String relation;
            List<String> key;
            if (s.name() != null) {
                Table t = table(c, "source.table", s.name());
                refuseInternal("source.table", t);
                r.target().requireBulkAllowed("source.table", t.schema() + "." + t.name());
                relation = t.quoted();
                key = s.key().isEmpty() ? t.primaryKey() : s.key();
                for (String k : key) {
                    if (!t.columns().contains(k)) {
                        throw new ValidationException("source.key: '" + k + "' is not a column of " + t.quoted());
                    }
                }
            } else {
                defineQuery(c, s.query(), r.target());
                relation = QUERY_VIEW;
                key = s.key();
            }
            c.commit();
            // the export's own transaction: read-only from its first statement on
            c.setReadOnly(true);
            // columns and types of the result; this also reports a bad query before anything is written
            List<String> names = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + relation + " LIMIT 0")) {
                ResultSetMetaData md = rs.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    names.add(md.getColumnLabel(i));
                }
            }
            for (String k : key) {
                if (!names.contains(k)) {
                    throw new ValidationException("source.key: '" + k + "' is not a column of the source's result " + names);
                }
            }
            StringBuilder select = new StringBuilder("SELECT * FROM ").append(relation).append(" AS src");
            if (cursor != null) {
                if (key.isEmpty() || !cursor.isArray() || cursor.size() != key.size()) {
                    throw new ValidationException("continuation: does not match the source's key " + key);
                }
                select.append(" WHERE (").append(String.join(", ", key.stream().map(PostgresBulk::ident).toList())).append(") > (");
                for (int i = 0; i < key.size(); i++) {
                    // an untyped literal takes the column's type (pgjdbc names identity columns' types "bigserial", which is no type)
                    select.append(i == 0 ? "" : ", ").append(literal(c, cursor.get(i).asText()));
                }
                select.append(")");
            }
            if (!key.isEmpty()) {
                select.append(" ORDER BY ").append(String.join(", ", key.stream().map(PostgresBulk::ident).toList()));
            }
            String sql = r.format() == BulkFormat.CSV
                ? "COPY (" + select + ") TO STDOUT (FORMAT csv, HEADER true)"
                : "COPY (SELECT row_to_json(src) FROM (" + select + ") AS src) TO STDOUT " + NDJSON_COPY;
            setting(c, "statement_timeout", Math.max(1000, Math.min(timeoutMillis, 24L * 3600 * 1000)) + "ms");
            CopyOut out = c.unwrap(PGConnection.class).getCopyAPI().copyOut(sql);
            return new CopySource(c, out, r.format(), names, key, r.source().name() == null ? "source.query" : "source.table");
        } catch (SQLException e) {
            rollbackQuietly(c);
            throw SqlStates.failure(e, "postgres export of " + describe(r.source()), r.source().name() == null ? "source.query" : "source.table");
        } catch (RuntimeException e) {
            rollbackQuietly(c);
            throw e;
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is closed by the caller
        }
    }

    /** Sets a setting for the session with bound values ({@code set_config}), never spliced. */
    private static void setting(Connection c, String name, String value) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config(?, ?, false)")) {
            ps.setString(1, name);
            ps.setString(2, value);
            ps.execute();
        }
    }

    /**
     * Defines the export query as the temporary view {@link #QUERY_VIEW}: one statement through the extended protocol,
     * parsed by the server as a view body, then refused when it reads a system catalog or Tidemark's own tables.
     */
    private static void defineQuery(Connection c, String query, dev.tidemark.config.TargetConfig target) throws SQLException {
        String q = query.strip();
        if (q.endsWith(";")) {
            q = q.substring(0, q.length() - 1);
        }
        String sql = "CREATE TEMP VIEW tidemark_export_source AS " + q;
        BaseConnection base = c.unwrap(BaseConnection.class);
        // the driver splits a text at its semicolons into several Parse messages; exactly one must remain, so that the
        // server sees the whole text as one statement (and refuses it if it finds a second one)
        int statements = Parser.parseJdbcSql(sql, base.getStandardConformingStrings(), false, true, false, false).size();
        if (statements != 1) {
            throw new ValidationException("source.query: expected one SELECT statement (read-only), got " + statements + " statements");
        }
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            rollbackQuietly(c);
            throw new ValidationException("source.query: expected one SELECT statement (read-only): " + SqlStates.describe(e));
        }
        // every relation the query reads, as the planner resolved it (views expanded, system catalogs included)
        java.util.Set<String> internal = new java.util.TreeSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("EXPLAIN (VERBOSE, FORMAT JSON) SELECT * FROM " + QUERY_VIEW)) {
            rs.next();
            java.util.Set<String> read = new java.util.TreeSet<>();
            relations(Json.MAPPER.readTree(rs.getString(1)), read);
            for (String relation : read) {
                String schema = relation.substring(0, relation.indexOf('.'));
                if (internal(schema, relation.substring(relation.indexOf('.') + 1))) {
                    internal.add(relation);
                } else {
                    target.requireBulkAllowed("source.query", relation);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("EXPLAIN answered no JSON", e);
        }
        if (!internal.isEmpty()) {
            rollbackQuietly(c);
            throw new ValidationException("source.query: reads " + internal + ", system catalogs or Tidemark's own tables, which are never "
                + "exported");
        }
    }

    /** Adds the relations among a plan's {@code Schema}/{@code Relation Name} pairs to {@code out}, as {@code schema.name}. */
    private static void relations(JsonNode node, java.util.Set<String> out) {
        if (node.isObject() && node.hasNonNull("Relation Name") && node.hasNonNull("Schema")) {
            out.add(node.get("Schema").asText() + "." + node.get("Relation Name").asText());
        }
        for (JsonNode child : node) {
            relations(child, out);
        }
    }

    /** Schemas of the system, never a bulk source or destination. */
    private static final List<String> SYSTEM_SCHEMAS = List.of("pg_catalog", "information_schema", "pg_toast");

    /**
     * @param schema a relation's schema
     * @param name its name
     * @return whether it is a system catalog, Tidemark's schema history (Flyway's table) or a replace import's stage
     */
    static boolean internal(String schema, String name) {
        return SYSTEM_SCHEMAS.contains(schema) || schema.startsWith("pg_temp") || schema.startsWith("pg_toast")
            || name.equals("flyway_schema_history") || name.endsWith("__tidemark_replace");
    }

    private static void refuseInternal(String field, Table t) {
        if (internal(t.schema(), t.name())) {
            throw new ValidationException(field + ": " + t.quoted() + " is a system catalog or one of Tidemark's own tables, which are never "
                + "a bulk source or destination");
        }
    }

    private static String describe(ExportRequest.Source s) {
        return s.name() != null ? "table " + s.name() : "query";
    }


    /** Rows of a running COPY TO STDOUT. */
    private static final class CopySource implements RecordSource {
        private final Connection connection;
        private final CopyOut copy;
        private final BulkFormat format;
        private final List<String> columns;
        private final List<String> key;
        private final String field;
        private final byte[] header;
        private byte[] last;

        CopySource(Connection connection, CopyOut copy, BulkFormat format, List<String> columns, List<String> key, String field)
            throws SQLException {
            this.field = field;
            this.connection = connection;
            this.copy = copy;
            this.format = format;
            this.columns = columns;
            this.key = key;
            this.header = format == BulkFormat.CSV ? copy.readFromCopy() : null;
        }

        @Override
        public byte[] header() {
            return header;
        }

        @Override
        public byte[] next() {
            try {
                byte[] row = copy.readFromCopy();
                if (row != null) {
                    last = row;
                }
                return row;
            } catch (SQLException e) {
                throw SqlStates.failure(e, "postgres export", field);
            }
        }

        @Override
        public List<String> key() {
            return key;
        }

        @Override
        public JsonNode cursor() {
            if (key.isEmpty() || last == null) {
                return null;
            }
            ArrayNode values = Json.MAPPER.createArrayNode();
            if (format == BulkFormat.CSV) {
                List<String> fields = CsvRow.fields(new String(last, StandardCharsets.UTF_8));
                for (String k : key) {
                    values.add(fields.get(columns.indexOf(k)));
                }
            } else {
                JsonNode row = ExactJson.read(last);
                for (String k : key) {
                    JsonNode v = row.get(k);
                    values.add(v.isValueNode() ? v.asText() : v.toString());
                }
            }
            return values;
        }

        @Override
        public void close() {
            try {
                if (copy.isActive()) {
                    copy.cancelCopy();
                }
                connection.rollback();
            } catch (SQLException e) {
                // the connection is closed next; a failed cancel leaves nothing behind on a read-only transaction
            } finally {
                try {
                    connection.close();
                } catch (SQLException e) {
                    // closing
                }
            }
        }
    }

    // ---------------------------------------------------------------- import

    /** Imports parts into a table, one transaction per part. */
    static final class Sink implements RecordSink {
        private final Connection c;
        private final ImportRequest r;
        private final Manifest manifest;
        private final Table table;
        private final CopyManager copy;

        Sink(Connection c, ImportRequest r, Manifest manifest) {
            this.c = c;
            this.r = r;
            this.manifest = manifest;
            try {
                c.setAutoCommit(false);
                this.table = table(c, "destination.table", r.name());
                refuseInternal("destination.table", table);
                r.target().requireBulkAllowed("destination.table", table.schema() + "." + table.name());
                c.commit();
                this.copy = c.unwrap(PGConnection.class).getCopyAPI();
            } catch (SQLException e) {
                close();
                throw SqlStates.failure(e, "postgres import into " + r.name(), "destination.table");
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            if (r.mode() == ImportMode.UPSERT && conflictKey().isEmpty()) {
                close();
                throw new ValidationException("destination.key: table " + table.quoted() + " has no primary key; give the upsert's key columns");
            }
            for (String k : r.key()) {
                if (!table.columns().contains(k)) {
                    close();
                    throw new ValidationException("destination.key: '" + k + "' is not a column of " + table.quoted());
                }
            }
        }

        private List<String> conflictKey() {
            return r.key().isEmpty() ? table.primaryKey() : r.key();
        }

        private String stageName() {
            String base = table.name().length() > 40 ? table.name().substring(0, 40) : table.name();
            return ident(table.schema()) + "." + ident(base + "__tidemark_replace");
        }

        @Override
        public void checkStage(String stage) {
            if (r.mode() != ImportMode.REPLACE || !stageName().equals(stage)) {
                throw new ValidationException("continuation: its stage is not this import's");
            }
        }

        @Override
        public String begin() {
            if (r.mode() != ImportMode.REPLACE) {
                return null;
            }
            String stage = stageName();
            try (Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + stage);
                st.execute("CREATE UNLOGGED TABLE " + stage + " (LIKE " + table.quoted() + " INCLUDING DEFAULTS INCLUDING INDEXES)");
                c.commit();
                return stage;
            } catch (SQLException e) {
                rollback();
                throw SqlStates.failure(e, "postgres import: creating the stage of " + table.quoted(), "destination.table");
            }
        }

        @Override
        public long load(Manifest.Part part, PartCheck data, String stage) {
            return load(part, data, stage, () -> true);
        }

        @Override
        public boolean transactional() {
            return true;
        }

        @Override
        public long load(Manifest.Part part, PartCheck data, String stage, java.util.function.BooleanSupplier commit) {
            try {
                String into = r.mode() == ImportMode.REPLACE ? stage : table.quoted();
                long rows;
                // a replace loads its stage by key too, so a part loaded again after a crash does not double its rows
                if (r.mode() == ImportMode.UPSERT || r.mode() == ImportMode.REPLACE && !conflictKey().isEmpty()) {
                    try (Statement st = c.createStatement()) {
                        st.execute("CREATE TEMP TABLE tidemark_stage (LIKE " + table.quoted() + " INCLUDING DEFAULTS) ON COMMIT DROP");
                    }
                    rows = copyInto("tidemark_stage", data);
                    List<String> cols = table.columns();
                    String list = String.join(", ", cols.stream().map(PostgresBulk::ident).toList());
                    List<String> key = conflictKey();
                    List<String> rest = cols.stream().filter(k -> !key.contains(k)).toList();
                    String action = rest.isEmpty() ? "DO NOTHING" : "DO UPDATE SET "
                        + String.join(", ", rest.stream().map(k -> ident(k) + " = EXCLUDED." + ident(k)).toList());
                    try (Statement st = c.createStatement()) {
                        st.executeUpdate("INSERT INTO " + into + " (" + list + ") OVERRIDING SYSTEM VALUE SELECT " + list + " FROM tidemark_stage ON CONFLICT ("
                            + String.join(", ", key.stream().map(PostgresBulk::ident).toList()) + ") " + action);
                    }
                } else {
                    rows = copyInto(into, data);
                }
                data.verify(rows);
                if (!commit.getAsBoolean()) {
                    c.rollback();
                    return -1;
                }
                c.commit();
                return rows;
            } catch (SQLException e) {
                rollback();
                throw SqlStates.failure(e, "postgres import of " + part.file() + " into " + table.quoted(), "source");
            } catch (IOException e) {
                rollback();
                throw new ConnectionException("postgres import of " + part.file() + ": reading the part failed", e);
            } catch (RuntimeException e) {
                rollback();
                throw e;
            }
        }

        private long copyInto(String into, PartCheck data) throws SQLException, IOException {
            if (manifest.format() == BulkFormat.CSV) {
                byte[] header = CsvRow.readLine(data.records());
                List<String> cols = CsvRow.fields(new String(header, StandardCharsets.UTF_8).stripTrailing());
                for (String col : cols) {
                    if (!table.columns().contains(col)) {
                        throw new ValidationException("destination.table: column '" + col + "' of the data is not a column of " + table.quoted());
                    }
                }
                return copy.copyIn("COPY " + into + " (" + String.join(", ", cols.stream().map(PostgresBulk::ident).toList())
                    + ") FROM STDIN (FORMAT csv)", data.records(), 64 * 1024);
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE IF NOT EXISTS tidemark_ndjson (doc jsonb) ON COMMIT DROP");
            }
            long rows = copy.copyIn("COPY tidemark_ndjson FROM STDIN " + NDJSON_COPY, data.records(), 64 * 1024);
            String list = String.join(", ", table.columns().stream().map(PostgresBulk::ident).toList());
            try (Statement st = c.createStatement()) {
                String fromRecord = String.join(", ", table.columns().stream().map(k -> "r." + ident(k)).toList());
                st.executeUpdate("INSERT INTO " + into + " (" + list + ") OVERRIDING SYSTEM VALUE SELECT " + fromRecord + " FROM tidemark_ndjson s, jsonb_populate_record(NULL::"
                    + table.quoted() + ", s.doc) r");
            }
            return rows;
        }

        @Override
        public void finish(String stage) {
            if (r.mode() == ImportMode.REPLACE) {
                swap(stage);
            }
            advanceSequences();
        }

        /** Moves identity and serial sequences past the imported keys, as pg_dump's setval does. */
        private void advanceSequences() {
            try {
                for (String col : table.columns()) {
                    String seq;
                    try (PreparedStatement ps = c.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
                        ps.setString(1, table.quoted());
                        ps.setString(2, col);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            seq = rs.getString(1);
                        }
                    }
                    if (seq != null) {
                        try (Statement st = c.createStatement()) {
                            st.execute("SELECT setval(" + literal(c, seq) + ", m) FROM (SELECT max(" + ident(col) + ") AS m FROM " + table.quoted()
                                + ") x WHERE m IS NOT NULL AND m > (SELECT last_value FROM " + seq + ")");
                        }
                    }
                }
                c.commit();
            } catch (SQLException e) {
                rollback();
                throw SqlStates.failure(e, "postgres import: advancing the sequences of " + table.quoted(), "destination.table");
            }
        }

        private void swap(String stage) {
            String list = String.join(", ", table.columns().stream().map(PostgresBulk::ident).toList());
            try (Statement st = c.createStatement()) {
                // readers keep seeing the old rows until this commits (MVCC); DELETE, unlike TRUNCATE, does not block them
                st.executeUpdate("DELETE FROM " + table.quoted());
                st.executeUpdate("INSERT INTO " + table.quoted() + " (" + list + ") OVERRIDING SYSTEM VALUE SELECT " + list + " FROM " + stage);
                st.execute("DROP TABLE " + stage);
                c.commit();
            } catch (SQLException e) {
                rollback();
                throw SqlStates.failure(e, "postgres import: swapping the stage into " + table.quoted(), "destination.table");
            }
        }

        private void rollback() {
            try {
                c.rollback();
            } catch (SQLException e) {
                // the original error is reported
            }
        }

        @Override
        public void close() {
            try {
                c.close();
            } catch (SQLException e) {
                // closing
            }
        }
    }
}
