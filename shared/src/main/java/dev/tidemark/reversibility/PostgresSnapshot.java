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
 * PostgreSQL catalog snapshot of the connection's current schema, read from {@code pg_catalog}: tables (and their kind),
 * columns (type, nullability, default, identity), constraints, indexes, partitions, enum types (their values in order),
 * domains, composite types, sequences (with their ownership), view and materialized view definitions, functions and
 * procedures (signature, result, language and an MD5 of the body), triggers, extensions, row-level security and
 * policies, and comments on tables and columns. Flyway's history table is left out.
 */
public final class PostgresSnapshot implements SchemaSnapshot.Taker {

    private static final String[][] QUERIES = {
        {"table", "SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relname NOT IN ('flyway_schema_history', 'tidemark_backfill')"},
        {"column", "SELECT c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END"
            + " || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END"
            + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped"
            + " AND c.relname NOT IN ('flyway_schema_history', 'tidemark_backfill')"},
        {"constraint", "SELECT c.relname || '.' || k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname NOT IN ('flyway_schema_history', 'tidemark_backfill')"},
        {"index", "SELECT tablename || '.' || indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            + " AND tablename NOT IN ('flyway_schema_history', 'tidemark_backfill')"},
        {"partition", "SELECT p.relname || '.' || c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            + " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"},
        {"enum", "SELECT t.typname, string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid"
            + " JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = current_schema() GROUP BY t.typname"},
        {"domain", "SELECT t.typname, format_type(t.typbasetype, t.typtypmod) || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END"
            + " || coalesce(' default ' || t.typdefault, '') || coalesce(' ' || (SELECT string_agg(pg_get_constraintdef(k.oid), ' ' ORDER BY k.conname)"
            + " FROM pg_constraint k WHERE k.contypid = t.oid), '') FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            + " WHERE n.nspname = current_schema() AND t.typtype = 'd'"},
        {"type", "SELECT t.typname, (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)"
            + " FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) FROM pg_type t"
            + " JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid"
            + " WHERE n.nspname = current_schema() AND t.typtype = 'c' AND c.relkind = 'c'"},
        {"sequence", "SELECT s.relname, format_type(q.seqtypid, NULL) || ' start ' || q.seqstart || ' increment ' || q.seqincrement"
            + " || ' min ' || q.seqmin || ' max ' || q.seqmax || CASE WHEN q.seqcycle THEN ' cycle' ELSE '' END"
            + " || coalesce(' owned by ' || t.relname || '.' || a.attname, '')"
            + " FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid JOIN pg_namespace n ON n.oid = s.relnamespace"
            + " LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
            + " AND d.deptype IN ('a', 'i') LEFT JOIN pg_class t ON t.oid = d.refobjid"
            + " LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
            + " WHERE n.nspname = current_schema() AND s.relkind = 'S' AND s.relname <> 'flyway_schema_history'"},
        {"view", "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm')"},
        {"function", "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.prokind::text || ' returns '"
            + " || coalesce(pg_get_function_result(p.oid), 'void') || ' ' || l.lanname || ' body md5 ' || md5(coalesce(p.prosrc, ''))"
            + " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang"
            + " WHERE n.nspname = current_schema()"},
        {"trigger", "SELECT c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal"},
        {"extension", "SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql'"},
        {"rls", "SELECT c.relname, 'enabled ' || c.relrowsecurity || ' forced ' || c.relforcerowsecurity FROM pg_class c"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND (c.relrowsecurity OR c.relforcerowsecurity)"},
        {"policy", "SELECT c.relname || '.' || p.polname, 'for ' || p.polcmd::text || CASE WHEN p.polpermissive THEN ' permissive' ELSE ' restrictive' END"
            + " || ' using ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' check ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')"
            + " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = current_schema()"},
        {"comment", "SELECT c.relname || coalesce('.' || a.attname, ''), d.description FROM pg_description d"
            + " JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0"
            + " WHERE n.nspname = current_schema() AND c.relname NOT IN ('flyway_schema_history', 'tidemark_backfill')"},
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
