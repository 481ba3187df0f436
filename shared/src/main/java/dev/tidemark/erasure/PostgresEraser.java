package dev.tidemark.erasure;

import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.StoreException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.Store;
import dev.tidemark.postgres.SqlStates;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Erases one data subject from a PostgreSQL target per its {@link ErasurePlan}: every table and column is looked up in
 * the catalog first (an unknown one is a {@link ValidationException} naming the plan field, and nothing runs); then, in
 * one transaction, each item's rows are deleted or anonymised in batches of {@code batchSize} rows (no single statement
 * holds its locks for long; {@code lock_timeout} 5 s, a statement timeout from the budget), what remains of the subject
 * is counted, and the transaction commits only when nothing remains. Identifiers come from the catalog and are quoted;
 * the subject id is always a bound parameter, cast to the matched column's type. Errors carry the SQLSTATE and the
 * table, never the server's text (which can quote a value).
 */
public final class PostgresEraser {

    private static final Set<String> SYSTEM_SCHEMAS = Set.of("pg_catalog", "information_schema", "pg_toast");
    private static final Set<String> INTEGER_TYPES = Set.of("smallint", "integer", "bigint", "numeric");
    private static final Set<String> TEXT_TYPES = Set.of("text", "character varying", "character", "citext");

    private final String target;
    private final ErasurePlan plan;
    private final byte[] pseudonymKey;
    private final int batchSize;
    private final Duration statementTimeout;

    /**
     * @param target the target's name, for messages
     * @param plan the target's plan ({@link Store#POSTGRES})
     * @param pseudonymKey the key of {@link SubjectId#pseudonym}
     * @param batchSize rows per statement (1 to 100,000)
     * @param statementTimeout the longest one statement may run
     */
    public PostgresEraser(String target, ErasurePlan plan, byte[] pseudonymKey, int batchSize, Duration statementTimeout) {
        if (plan.store() != Store.POSTGRES) {
            throw new IllegalArgumentException("a PostgreSQL plan is needed");
        }
        this.target = target;
        this.plan = plan;
        this.pseudonymKey = pseudonymKey.clone();
        this.batchSize = Erasures.batchSize(batchSize, 100_000);
        this.statementTimeout = statementTimeout;
    }

    /** A plan item resolved against the catalog: quoted SQL fragments and the types to cast the parameters to. */
    private record Resolved(ErasurePlan.Item item, String qualified, String shown, String match, String subjectType,
                            List<String> setColumns, List<String> setTypes) {
    }

    /**
     * @param connection an open connection as the eraser role (the caller closes it; its auto-commit is restored)
     * @param subject the data subject
     * @param dryRun count what would be erased, in a read-only transaction, and change nothing
     * @return per item: matched, erased, anonymised, remaining (0 after an erasure; on a dry run, what an erasure would act on),
     *         duration
     * @throws ValidationException naming the plan field when a table or column is unknown, a system or Tidemark table, or
     *                             of a type the subject's id type cannot match; nothing ran
     * @throws ConnectionException for a transient failure (SQLSTATE class 08, lock timeout, ...): rolled back, retry
     * @throws StoreException for any other failure, or when a verification found rows left: rolled back
     */
    public ErasureResult erase(Connection connection, SubjectId subject, boolean dryRun) {
        return erase(connection, subject, dryRun, () -> false);
    }

    /**
     * As {@link #erase(Connection, SubjectId, boolean)} within a time budget: once {@code stop} answers {@code true}, the
     * item in hand runs at most one more batch (so every call makes progress) and the items after it (parents, in the
     * plan's order) are only counted; the work done so far is committed and the result says {@code done: false}; the
     * next call of the same request goes on from there.
     *
     * @param stop whether the call's time is up
     * @return the verified counts
     */
    public ErasureResult erase(Connection connection, SubjectId subject, boolean dryRun, java.util.function.BooleanSupplier stop) {
        if (subject.type() != plan.idType()) {
            throw new ValidationException("subject.id: the plan's id type is " + plan.idType().id());
        }
        long start = System.nanoTime();
        String current = "the catalog";
        try {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                connection.setReadOnly(dryRun);
                try (var st = connection.createStatement()) {
                    st.execute("SET LOCAL lock_timeout = '5s'");
                    st.execute("SET LOCAL statement_timeout = " + Math.max(1, statementTimeout.toMillis()));
                }
                List<Resolved> resolved = new ArrayList<>();
                for (ErasurePlan.Item item : plan.items()) {
                    resolved.add(resolve(connection, item));
                }
                String pseudonym = plan.pseudonymises() ? subject.pseudonym(pseudonymKey, plan.subject()) : null;
                List<ErasureResult.Item> out = new ArrayList<>();
                for (Resolved r : resolved) {
                    current = r.shown();
                    // out of time with an item unfinished: later items (parents) only count, so the plan's order holds
                    boolean countOnly = dryRun || Erasures.firstLeft(out).isPresent();
                    out.add(run(connection, r, subject, pseudonym, countOnly, stop));
                }
                boolean partial = !dryRun && Erasures.firstLeft(out).isPresent() && stop.getAsBoolean();
                if (dryRun) {
                    connection.rollback();
                } else if (partial) {
                    connection.commit(); // out of time: what was erased stays erased, the next call goes on
                } else {
                    if (Erasures.firstLeft(out).isPresent()) {
                        connection.rollback();
                    }
                    Erasures.requireNothingLeft("postgres", target, out, "row(s)", "nothing was committed");
                    connection.commit();
                }
                return new ErasureResult(Store.POSTGRES, target, dryRun, plan.sha256(), List.copyOf(out), (System.nanoTime() - start) / 1_000_000,
                    !partial);
            } catch (SQLException | RuntimeException e) {
                quietRollback(connection);
                throw e;
            } finally {
                connection.setReadOnly(false);
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            String what = "postgres target '" + target + "': erasure in " + current + " failed (SQL state " + e.getSQLState() + ")";
            throw SqlStates.transientState(e.getSQLState()) ? new ConnectionException(what + "; rolled back, nothing was erased", e)
                : new StoreException(what + "; rolled back, nothing was erased", e);
        }
    }

    private static void quietRollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is gone: the server rolled back
        }
    }

    private ErasureResult.Item run(Connection c, Resolved r, SubjectId subject, String pseudonym, boolean dryRun,
                                   java.util.function.BooleanSupplier stop) throws SQLException {
        long t0 = System.nanoTime();
        String countMatched = "SELECT count(*) FROM " + r.qualified() + " t WHERE " + r.match();
        long matched;
        long erased = 0;
        long anonymised = 0;
        long remaining;
        ErasurePlan.Item item = r.item();
        if (item.action() == ErasurePlan.Action.DELETE) {
            if (dryRun) {
                matched = count(c, countMatched, subject, List.of());
                remaining = matched;
            } else {
                String sql = "DELETE FROM " + r.qualified() + " WHERE (tableoid, ctid) IN (SELECT t.tableoid, t.ctid FROM " + r.qualified()
                    + " t WHERE " + r.match() + " LIMIT " + batchSize + ")";
                int n;
                do {
                    n = update(c, sql, List.of(), subject, List.of());
                    erased += n;
                } while (n == batchSize && !stop.getAsBoolean()); // a short batch was the last one
                remaining = count(c, countMatched, subject, List.of());
                matched = erased + remaining; // one transaction: what was there before
            }
        } else {
            matched = count(c, countMatched, subject, List.of());
            List<String> values = new ArrayList<>();
            StringBuilder set = new StringBuilder();
            StringBuilder pending = new StringBuilder();
            int i = 0;
            for (Map.Entry<String, ErasurePlan.Replacement> e : item.set().entrySet()) {
                String col = r.setColumns().get(i);
                String type = r.setTypes().get(i);
                if (i > 0) {
                    set.append(", ");
                    pending.append(" OR ");
                }
                if (e.getValue().kind() == ErasurePlan.Kind.NULL) {
                    set.append(col).append(" = NULL");
                    pending.append("t.").append(col).append(" IS NOT NULL");
                } else {
                    String v = e.getValue().kind() == ErasurePlan.Kind.VALUE ? e.getValue().value() : pseudonym;
                    set.append(col).append(" = CAST(? AS ").append(type).append(")");
                    pending.append("t.").append(col).append(" IS DISTINCT FROM CAST(? AS ").append(type).append(")");
                    values.add(v);
                }
                i++;
            }
            String where = r.match() + " AND (" + pending + ")";
            if (!dryRun) {
                // the SET values come first in the statement, the pending test's after the subject id
                String sql = "UPDATE " + r.qualified() + " SET " + set + " WHERE (tableoid, ctid) IN (SELECT t.tableoid, t.ctid FROM "
                    + r.qualified() + " t WHERE " + where + " LIMIT " + batchSize + ")";
                int n;
                do {
                    n = update(c, sql, values, subject, values);
                    anonymised += n;
                } while (n == batchSize && !stop.getAsBoolean());
            }
            remaining = count(c, "SELECT count(*) FROM " + r.qualified() + " t WHERE " + where, subject, values);
        }
        return new ErasureResult.Item(r.shown(), item.action() == ErasurePlan.Action.DELETE ? "delete" : "anonymise", matched, erased,
            anonymised, remaining, (System.nanoTime() - t0) / 1_000_000);
    }

    private static long count(Connection c, String sql, SubjectId subject, List<String> after) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, List.of(), subject, after); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int update(Connection c, String sql, List<String> before, SubjectId subject, List<String> after) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, before, subject, after)) {
            return ps.executeUpdate();
        }
    }

    /** @return the statement with its parameters bound in order: {@code before}, the subject id, {@code after} */
    private static PreparedStatement prepare(Connection c, String sql, List<String> before, SubjectId subject, List<String> after)
        throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        int k = 1;
        for (String v : before) {
            ps.setString(k++, v);
        }
        ps.setString(k++, subject.value());
        for (String v : after) {
            ps.setString(k++, v);
        }
        return ps;
    }

    /** Looks every name of the item up in the catalog and builds its quoted SQL fragments. */
    private Resolved resolve(Connection c, ErasurePlan.Item item) throws SQLException {
        String f = ErasurePlan.FILE + ": " + item.field();
        String table = table(c, item.schema(), item.name(), f + ".table");
        String matchType = column(c, item.schema(), item.name(), item.match(), f + ".match.column");
        String match;
        String subjectType;
        if (item.through().isEmpty()) {
            subjectType = matchType;
            match = "t." + quote(item.match()) + " = CAST(? AS " + subjectType + ")";
        } else {
            StringBuilder tail = new StringBuilder();
            String last = null;
            for (int h = item.through().size() - 1; h >= 0; h--) {
                ErasurePlan.Hop hop = item.through().get(h);
                String hf = f + ".match.through[" + h + "]";
                String hopTable = table(c, hop.schema(), hop.table(), hf + ".table");
                column(c, hop.schema(), hop.table(), hop.key(), hf + ".key");
                String colType = column(c, hop.schema(), hop.table(), hop.column(), hf + ".column");
                if (last == null) {
                    last = colType;
                    tail.insert(0, "SELECT " + quote(hop.key()) + " FROM " + hopTable + " WHERE " + quote(hop.column()) + " = CAST(? AS " + colType + ")");
                } else {
                    tail.insert(0, "SELECT " + quote(hop.key()) + " FROM " + hopTable + " WHERE " + quote(hop.column()) + " IN (");
                    tail.append(")");
                }
            }
            subjectType = last;
            match = "t." + quote(item.match()) + " IN (" + tail + ")";
        }
        boolean fits = switch (plan.idType()) {
            case INTEGER -> INTEGER_TYPES.contains(baseType(subjectType));
            case UUID -> baseType(subjectType).equals("uuid") || TEXT_TYPES.contains(baseType(subjectType));
            case STRING -> TEXT_TYPES.contains(baseType(subjectType));
        };
        if (!fits) {
            throw new ValidationException(f + (item.through().isEmpty() ? ".match.column" : ".match.through") + ": the subject's column is "
                + subjectType + ", which the plan's subject.idType " + plan.idType().id() + " cannot match");
        }
        List<String> setColumns = new ArrayList<>();
        List<String> setTypes = new ArrayList<>();
        for (String col : item.set().keySet()) {
            setTypes.add(column(c, item.schema(), item.name(), col, f + ".set." + col));
            setColumns.add(quote(col));
        }
        return new Resolved(item, table, item.schema() + "." + item.name(), match, subjectType, setColumns, setTypes);
    }

    private static String baseType(String formatted) {
        int paren = formatted.indexOf('(');
        return paren < 0 ? formatted : formatted.substring(0, paren);
    }

    /** @return the quoted {@code schema.table} of an ordinary or partitioned table that exists */
    private static String table(Connection c, String schema, String name, String field) throws SQLException {
        if (SYSTEM_SCHEMAS.contains(schema) || schema.startsWith("pg_temp") || name.equals("flyway_schema_history")) {
            throw new ValidationException(field + ": '" + schema + "." + name + "' is a system or Tidemark table, never erased from");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new ValidationException(field + ": no table '" + schema + "." + name + "' in the target's database");
                }
                String kind = rs.getString(1);
                if (!kind.equals("r") && !kind.equals("p")) {
                    throw new ValidationException(field + ": '" + schema + "." + name + "' is not a table (a view, sequence or index)");
                }
            }
        }
        return quote(schema) + "." + quote(name);
    }

    /** @return the column's type as {@code format_type} writes it (catalog text, safe in a cast) */
    private static String column(Connection c, String schema, String table, String column, String field) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            + "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE n.nspname = ? AND c.relname = ? AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            ps.setString(3, column);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new ValidationException(field + ": no column '" + column + "' in table '" + schema + "." + table + "'");
                }
                return rs.getString(1);
            }
        }
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
