package dev.tidemark.servers;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A real PostgreSQL server (zonky embedded binaries, version pinned by the BOM) listening on {@code 127.0.0.1} only.
 * Superuser {@code postgres}, trust authentication.
 */
public final class PostgresServer implements AutoCloseable {

    private final EmbeddedPostgres postgres;

    private PostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * @param dataDirectory where the cluster lives; {@code null} for a throw-away cluster
     * @return the running server
     */
    public static PostgresServer start(Path dataDirectory) {
        return start(dataDirectory, 0);
    }

    /**
     * @param dataDirectory where the cluster lives; {@code null} for a throw-away cluster
     * @param port the port on 127.0.0.1; 0 for a free one (a server started again on the same directory and port is a
     *             restart)
     * @return the running server
     */
    public static PostgresServer start(Path dataDirectory, int port) {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "200");
            if (port != 0) {
                builder.setPort(port);
            }
            if (dataDirectory != null) {
                Files.createDirectories(dataDirectory);
                builder.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
            }
            return new PostgresServer(builder.start());
        } catch (IOException e) {
            throw new IllegalStateException("PostgreSQL did not start: " + e.getMessage(), e);
        }
    }

    /** @return the TCP port on 127.0.0.1 */
    public int port() {
        return postgres.getPort();
    }

    /**
     * Creates a database if it does not exist yet.
     *
     * @param name database name (a plain identifier)
     */
    public void createDatabase(String name) {
        if (!name.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("database name must be a plain lower-case identifier: " + name);
        }
        try (Connection c = postgres.getPostgresDatabase().getConnection();
             var st = c.createStatement();
             var rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
            if (!rs.next()) {
                st.execute("CREATE DATABASE " + name);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name, e);
        }
    }

    /** The reader role: what bulk exports connect as (README, Security). */
    public static final String READER = "tidemark_reader";
    /** The loader role: what bulk imports connect as (README, Security). */
    public static final String LOADER = "tidemark_loader";
    /** The eraser role: what erasures connect as (README, Security). */
    public static final String ERASER = "tidemark_eraser";

    /**
     * Creates the least-privilege roles of the README's Security section in a database, as its owner would on RDS:
     * {@value #READER} may read the tables of schema {@code public} and nothing else; {@value #LOADER} may read and write
     * their rows, use their sequences and create (and so drop) its own tables in {@code public} for a replace import's
     * stage; {@value #ERASER} may read, update and delete their rows, and insert nothing. None is a superuser or a member of {@code pg_read_server_files}, {@code pg_write_server_files} or
     * {@code pg_execute_server_program}, so neither may read {@code pg_authid}, call {@code pg_read_file} or
     * {@code lo_export}, or {@code COPY ... TO PROGRAM}. Default privileges extend the grants to tables the migrator
     * (the superuser here) creates later; {@code flyway_schema_history} is withheld from the loader once it exists.
     * Idempotent.
     *
     * @param database database name (a plain identifier)
     * @param password the password every role gets (this server trusts local connections; a deployment uses secrets)
     */
    public void createRoles(String database, String password) {
        if (!database.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("database name must be a plain lower-case identifier: " + database);
        }
        try (Connection c = postgres.getDatabase("postgres", database).getConnection(); var st = c.createStatement()) {
            for (String role : List.of(READER, LOADER, ERASER)) {
                try (var ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
                    ps.setString(1, role);
                    if (!ps.executeQuery().next()) {
                        st.execute("CREATE ROLE " + role + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION");
                    }
                }
                try (var ps = c.prepareStatement("SELECT format('ALTER ROLE %I PASSWORD %L', ?::text, ?::text)")) {
                    ps.setString(1, role);
                    ps.setString(2, password);
                    var rs = ps.executeQuery();
                    rs.next();
                    st.execute(rs.getString(1));
                }
            }
            for (String sql : roleGrants(database)) {
                st.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the roles in " + database + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param database the database
     * @return the grants of the README's Security section, in order
     */
    public static List<String> roleGrants(String database) {
        return List.of(
            "REVOKE ALL ON DATABASE " + database + " FROM PUBLIC",
            "GRANT CONNECT, TEMPORARY ON DATABASE " + database + " TO " + READER + ", " + LOADER,
            "GRANT CONNECT ON DATABASE " + database + " TO " + ERASER,
            "GRANT USAGE ON SCHEMA public TO " + READER,
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + READER,
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO " + READER,
            "GRANT USAGE, CREATE ON SCHEMA public TO " + LOADER,
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + LOADER,
            "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO " + LOADER,
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + LOADER,
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO " + LOADER,
            "GRANT USAGE ON SCHEMA public TO " + ERASER,
            "GRANT SELECT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + ERASER,
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, UPDATE, DELETE ON TABLES TO " + ERASER,
            "DO $$ BEGIN IF to_regclass('public.flyway_schema_history') IS NOT NULL THEN "
                + "REVOKE ALL ON public.flyway_schema_history FROM " + LOADER + ", " + ERASER + "; END IF; END $$");
    }

    /** @param database database name @return a JDBC URL for it on this server */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new IllegalStateException("PostgreSQL did not stop cleanly", e);
        }
    }
}
