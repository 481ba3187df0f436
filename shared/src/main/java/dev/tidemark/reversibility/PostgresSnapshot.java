package dev.tidemark.reversibility;

import dev.tidemark.error.ConnectionException;
import dev.tidemark.secrets.ConnectionSecrets;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.TreeMap;

/**
 * PostgreSQL catalog snapshot of the connection's current schema: tables (and their kind), columns (type,
 * nullability, default), constraints, indexes and partitions, read from {@code pg_catalog}. Flyway's history table is
 * left out.
 */
public final class PostgresSnapshot implements SchemaSnapshot.Taker {

    private static final String[][] QUERIES = {
        {"table", "SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relname <> 'flyway_schema_history'"},
        {"column", "SELECT c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END"
            + " || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END"
            + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped"
            + " AND c.relname <> 'flyway_schema_history'"},
        {"constraint", "SELECT c.relname || '.' || k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname <> 'flyway_schema_history'"},
        {"index", "SELECT tablename || '.' || indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            + " AND tablename <> 'flyway_schema_history'"},
        {"partition", "SELECT p.relname || '.' || c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            + " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"},
    };

    private final ConnectionSecrets.Postgres connection;

    /** @param connection the database to read */
    public PostgresSnapshot(ConnectionSecrets.Postgres connection) {
        this.connection = connection;
    }

    @Override
    public SchemaSnapshot take() {
        TreeMap<String, String> entries = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(connection.jdbcUrl(), connection.username(), connection.password());
             Statement st = c.createStatement()) {
            for (String[] q : QUERIES) {
                try (ResultSet rs = st.executeQuery(q[1])) {
                    while (rs.next()) {
                        entries.put(q[0] + "." + rs.getString(1), rs.getString(2));
                    }
                }
            }
        } catch (SQLException e) {
            throw new ConnectionException("postgres snapshot of " + connection.host() + ":" + connection.port() + "/" + connection.database()
                + ": " + e.getMessage(), e);
        }
        return new SchemaSnapshot(entries);
    }
}
