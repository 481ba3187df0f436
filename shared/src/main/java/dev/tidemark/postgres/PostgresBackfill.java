package dev.tidemark.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.bulk.Throttle;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.BackfillProgress;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.secrets.ConnectionSecrets;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL backfill migration: an {@code UPDATE} run in key-ordered batches, one transaction per batch, that
 * outlives one invocation (GitLab's batched background migrations, pgroll's backfill). Declared as the only content of
 * a versioned migration, in a block comment that Flyway itself skips:
 * <pre>{@code
 * /* tidemark:backfill
 * {"table": "users", "key": "id", "set": "email_lower = lower(email)", "where": "email_lower IS NULL",
 *  "batchSize": 1000, "maxRowsPerSecond": 0}
 * *}{@code /
 * }</pre>
 * The backfill covers the keys up to the highest one when it starts (rows written later are the application's, which
 * writes the new shape or has a trigger of the expand migration do it, as GitLab's batched migrations fix their end).
 * Each batch takes the next {@code batchSize} keys above the last committed one and runs
 * {@code UPDATE table SET <set> WHERE key > last AND key <= upper AND (<where>)}; the new last key and the counts are
 * committed with it in {@code tidemark_backfill} (the schema history's schema), whose row lock also keeps two runs from
 * taking the same batch. A call that is out of time stops between batches; the next call, or a rerun after a crash,
 * resumes from the last committed key, so the result is the same however often it is interrupted. The table and key
 * are resolved and quoted by the server ({@code regclass}, {@code quote_ident}); {@code set} and {@code where} are SQL
 * written by the migration's author, refused when they hold a {@code ;} or unbalanced parentheses. Every batch runs with
 * the engine's {@code lock_timeout}, so a batch waiting for a lock never queues the application's queries behind it.
 */
public final class PostgresBackfill {

    /** The marker that opens the declaration. */
    public static final String MARKER = "tidemark:backfill";
    private static final Pattern DECLARATION = Pattern.compile("(?s)^\\s*(?:--[^\\n]*\\n\\s*)*/\\*\\s*tidemark:backfill\\b(.*?)\\*/\\s*(?:--[^\\n]*\\n?\\s*)*$");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");
    private static final Set<String> FIELDS = Set.of("table", "key", "set", "where", "batchSize", "maxRowsPerSecond");
    /** The progress table, in the schema history's schema. */
    static final String PROGRESS = "tidemark_backfill";

    /**
     * A parsed declaration.
     *
     * @param table the table, optionally schema-qualified
     * @param key its key column: unique, not null, ordered (a primary key)
     * @param set the {@code SET} list
     * @param where which rows still need the update ({@code true} when absent)
     * @param batchSize rows per batch, 1 to 100,000 (default 1,000)
     * @param maxRowsPerSecond cap on keys visited per second; 0 (default) for none
     */
    public record Spec(String table, String key, String set, String where, int batchSize, long maxRowsPerSecond) {
    }

    private final String target;
    private final ConnectionSecrets.Postgres connection;
    private final int lockTimeoutMillis;

    /**
     * @param target the target name, for errors
     * @param connection where to connect (the migrator)
     * @param lockTimeoutMillis {@code lock_timeout} of every batch, in milliseconds
     */
    public PostgresBackfill(String target, ConnectionSecrets.Postgres connection, int lockTimeoutMillis) {
        this.target = target;
        this.connection = connection;
        this.lockTimeoutMillis = lockTimeoutMillis;
    }

    /**
     * @param script a versioned migration
     * @return its backfill declaration when the file is one
     * @throws ValidationException naming the file and field when the marker is there but the declaration is malformed,
     *         or the file holds anything beside it
     */
    public static Optional<Spec> declared(MigrationScript script) {
        if (!script.content().contains(MARKER)) {
            return Optional.empty();
        }
        String where = "migration " + script.script() + ": backfill";
        Matcher m = DECLARATION.matcher(script.content());
        if (!m.matches()) {
            throw new ValidationException(where + ": the file must hold only '/* tidemark:backfill {...} */' (and line comments); "
                + "put other statements in a migration of their own");
        }
        JsonNode d = dev.tidemark.migration.Declaration.object(m.group(1), where, FIELDS);
        String table = text(d, "table", where, true);
        if (!NAME.matcher(table).matches()) {
            throw new ValidationException(where + ".table: expected a table name, optionally schema-qualified, e.g. app.users");
        }
        String key = text(d, "key", where, true);
        if (!NAME.matcher(key).matches() || key.contains(".")) {
            throw new ValidationException(where + ".key: expected a column name");
        }
        String set = fragment(text(d, "set", where, true), where + ".set");
        String filter = d.has("where") ? fragment(text(d, "where", where, true), where + ".where") : "true";
        int batch = (int) dev.tidemark.migration.Declaration.number(d, "batchSize", where, 1000, 1, 100_000);
        long rate = dev.tidemark.migration.Declaration.number(d, "maxRowsPerSecond", where, 0, 0, 10_000_000);
        return Optional.of(new Spec(table, key, set, filter, batch, rate));
    }

    private static String text(JsonNode d, String field, String where, boolean required) {
        JsonNode v = d.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new ValidationException(where + "." + field + ": " + (v == null ? "missing" : "expected a non-empty string"));
        }
        return v.asText().strip();
    }

    /** A {@code SET} list or condition stays inside the statement Tidemark builds around it. */
    private static String fragment(String sql, String field) {
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && --depth < 0) {
                break;
            } else if (c == ';' || (c == '-' && i + 1 < sql.length() && sql.charAt(i + 1) == '-') || (c == '/' && i + 1 < sql.length() && sql.charAt(i + 1) == '*')
                || c == '$') {
                throw new ValidationException(field + ": ';', comments and dollar quoting are not allowed: it is one expression inside the UPDATE Tidemark builds");
            }
        }
        if (depth != 0 || quote != 0) {
            throw new ValidationException(field + ": unbalanced parentheses or quotes: it is one expression inside the UPDATE Tidemark builds");
        }
        return sql;
    }

    /**
     * Runs batches until the backfill is finished, the budget's soft limit has passed, or {@code stop} says so.
     *
     * @param script the backfill migration, for its version and name
     * @param spec its declaration
     * @param outOfTime whether the invocation's time is spent, asked after each batch
     * @return the progress after the last batch this call committed
     * @throws dev.tidemark.error.LockContentionException when a batch waited longer than the lock timeout (retryable)
     * @throws dev.tidemark.error.ConnectionException on a transient SQLSTATE (retryable)
     * @throws dev.tidemark.error.MigrationFailedException otherwise, naming the file and the server's primary message;
     *         batches committed before stay committed and the next call resumes after them
     */
    public BackfillProgress run(MigrationScript script, Spec spec, java.util.function.BooleanSupplier outOfTime) {
        long t0 = System.nanoTime();
        long doneThisCall = 0;
        Throttle throttle = new Throttle(spec.maxRowsPerSecond());
        try (Connection c = DriverManager.getConnection(connection.jdbcUrl(), connection.username(), connection.password())) {
            String progress = progressTable(c);
            String[] names = resolve(c, spec, script);
            String version = script.version().toString();
            restartIfFinished(c, progress, version, script.checksum(), names);
            c.setAutoCommit(false);
            while (true) {
                Batch b = batch(c, progress, version, names, spec);
                c.commit();
                doneThisCall += b.updated;
                throttle.acquire(b.visited);
                if (b.finished || outOfTime.getAsBoolean()) {
                    double seconds = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
                    return new BackfillProgress(script.version(), script.script(), b.rowsDone, b.estimated, b.batches,
                        Math.round(doneThisCall / seconds * 10) / 10.0, b.finished, "batches");
                }
            }
        } catch (SQLException e) {
            String what = "postgres target '" + target + "': backfill " + script.script() + ": " + SqlStates.describe(e);
            if ("55P03".equals(e.getSQLState())) {
                throw new dev.tidemark.error.LockContentionException(what + "; the batch was rolled back and is retried", e);
            }
            if (SqlStates.transientState(e.getSQLState())) {
                throw new dev.tidemark.error.ConnectionException(what + "; the batch was rolled back", e);
            }
            throw new dev.tidemark.error.MigrationFailedException("postgres", target, script.version().toString(), script.script(),
                SqlStates.describe(e) + "; batches before it stay committed", e);
        }
    }

    private record Batch(long updated, long visited, long rowsDone, long batches, boolean finished, long estimated) {
    }

    private Batch batch(Connection c, String progress, String version, String[] names, Spec spec) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL lock_timeout = " + lockTimeoutMillis);
        }
        String last;
        String end;
        long estimated;
        long rowsDone;
        long batches;
        try (PreparedStatement ps = c.prepareStatement("SELECT last_key, rows_done, batches, finished, end_key, estimated FROM " + progress
            + " WHERE version = ? FOR UPDATE")) {
            ps.setString(1, version);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                estimated = rs.getLong(6);
                if (rs.getBoolean(4) || rs.getString(5) == null) {
                    return new Batch(0, 0, rs.getLong(2), rs.getLong(3), true, estimated);
                }
                last = rs.getString(1);
                rowsDone = rs.getLong(2);
                batches = rs.getLong(3);
                end = rs.getString(5);
            }
        }
        String table = names[0];
        String key = names[1];
        String above = last == null ? "" : key + " > ? AND ";
        String upper;
        long visited;
        try (PreparedStatement ps = c.prepareStatement("SELECT max(k)::text, count(*) FROM (SELECT " + key + " AS k FROM " + table + " WHERE " + above
            + key + " <= ? ORDER BY " + key + " LIMIT ?) b")) {
            int i = 1;
            if (last != null) {
                ps.setObject(i++, last, Types.OTHER);
            }
            ps.setObject(i++, end, Types.OTHER);
            ps.setInt(i, spec.batchSize());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                upper = rs.getString(1);
                visited = rs.getLong(2);
            }
        }
        long updated = 0;
        if (upper != null) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET " + spec.set() + " WHERE " + (last == null ? "" : key + " > ? AND ")
                + key + " <= ? AND (" + spec.where() + ")")) {
                int i = 1;
                if (last != null) {
                    ps.setObject(i++, last, Types.OTHER);
                }
                ps.setObject(i, upper, Types.OTHER);
                updated = ps.executeUpdate();
            }
        }
        boolean finished = upper == null || visited < spec.batchSize();
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + progress + " SET last_key = coalesce(?, last_key), rows_done = rows_done + ?,"
            + " batches = batches + ?, finished = ?, updated_at = now() WHERE version = ?")) {
            ps.setString(1, upper);
            ps.setLong(2, updated);
            ps.setLong(3, upper == null ? 0 : 1);
            ps.setBoolean(4, finished);
            ps.setString(5, version);
            ps.executeUpdate();
        }
        return new Batch(updated, visited, rowsDone + updated, batches + (upper == null ? 0 : 1), finished, estimated);
    }

    /**
     * Starts a backfill's progress row, its end fixed at the highest key now. A progress row left finished by a call that
     * ended before the version was recorded (or of a version since undone)
     * says nothing about the rows now: the backfill starts over, which its {@code where} makes cheap. A row of another
     * checksum (the file changed before it was applied) starts over too.
     */
    private static void restartIfFinished(Connection c, String progress, String version, int checksum, String[] names) throws SQLException {
        // the estimate: the planner's row count, or a count when the table was never analysed (reltuples -1)
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + progress + " (version, checksum, finished, end_key, estimated) SELECT ?, ?, max(" + names[1]
            + ") IS NULL, max(" + names[1] + ")::text, (SELECT CASE WHEN k.reltuples >= 0 THEN k.reltuples::bigint ELSE (SELECT count(*) FROM " + names[0] + ") END FROM pg_class k"
            + " WHERE k.oid = '" + names[0].replace("'", "''") + "'::regclass) FROM " + names[0]
            + " ON CONFLICT (version) DO UPDATE SET checksum = excluded.checksum, end_key = excluded.end_key, estimated = excluded.estimated,"
            + " last_key = NULL, rows_done = 0, batches = 0, finished = excluded.finished, started_at = now(), updated_at = now()"
            + " WHERE " + progress + ".finished OR " + progress + ".checksum <> excluded.checksum")) {
            ps.setString(1, version);
            ps.setInt(2, checksum);
            ps.executeUpdate();
        }
    }

    /**
     * @param version a backfill's version
     * @return whether its progress says the last batch is done
     */
    public boolean finished(String version) {
        try (Connection c = DriverManager.getConnection(connection.jdbcUrl(), connection.username(), connection.password());
             PreparedStatement ps = c.prepareStatement("SELECT finished FROM " + PROGRESS + " WHERE version = ?")) {
            ps.setString(1, version);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return false; // no progress table yet
            }
            throw new dev.tidemark.error.ConnectionException("postgres target '" + target + "': backfill progress: " + SqlStates.describe(e), e);
        }
    }

    /**
     * Forgets the progress of a version (after its history record is written, or when it is undone).
     *
     * @param version the backfill's version
     */
    public void forget(String version) {
        try (Connection c = DriverManager.getConnection(connection.jdbcUrl(), connection.username(), connection.password());
             PreparedStatement ps = c.prepareStatement("DELETE FROM " + progressTable(c) + " WHERE version = ?")) {
            ps.setString(1, version);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new dev.tidemark.error.ConnectionException("postgres target '" + target + "': backfill progress: " + SqlStates.describe(e), e);
        }
    }

    /** @return the progress table, created when missing, quoted by the server */
    private static String progressTable(Connection c) throws SQLException {
        String name;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT quote_ident(current_schema()) || '." + PROGRESS + "'")) {
            rs.next();
            name = rs.getString(1);
        }
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + name + " (version text PRIMARY KEY, checksum integer NOT NULL, end_key text, estimated bigint, last_key text,"
                + " rows_done bigint NOT NULL DEFAULT 0, batches bigint NOT NULL DEFAULT 0, finished boolean NOT NULL DEFAULT false,"
                + " started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())");
        }
        return name;
    }

    /** @return the table and key as the server quotes them */
    private static String[] resolve(Connection c, Spec spec, MigrationScript script) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?)::text, (SELECT quote_ident(attname) FROM pg_attribute"
            + " WHERE attrelid = to_regclass(?) AND attname = ? AND attnum > 0 AND NOT attisdropped)")) {
            ps.setString(1, spec.table());
            ps.setString(2, spec.table());
            ps.setString(3, spec.key());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getString(1) == null) {
                    throw new ValidationException("migration " + script.script() + ": backfill.table: no table " + spec.table());
                }
                if (rs.getString(2) == null) {
                    throw new ValidationException("migration " + script.script() + ": backfill.key: table " + spec.table() + " has no column " + spec.key());
                }
                return new String[] {rs.getString(1), rs.getString(2)};
            }
        }
    }
}
