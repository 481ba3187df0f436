package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.ServersExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Hostile export and import events against a real PostgreSQL 17: the attacks found by hand (an injected {@code COMMIT}
 * ending the read-only transaction, server-side functions, system catalogs, Tidemark's own history), each refused with
 * the database's state compared before and after; and the reader and loader roles, whose refusals come from the
 * database itself.
 */
@ExtendWith(ServersExtension.class)
class PostgresExportSecurityTest {

    /** The query that ran arbitrary SQL: Flyway's splitter read E'\'' differently from the server. */
    private static final String COMMIT_INJECTION = "SELECT E'\\\\'' AS a) s; COMMIT; CREATE ROLE tidemark_evil SUPERUSER LOGIN; DROP TABLE items; "
        + "DELETE FROM flyway_schema_history; SELECT * FROM (SELECT E'\\\\'' AS b";

    private BulkFixture f;
    private PostgresServer pg;

    @BeforeEach
    void setUp(PostgresServer pg, MongoServer mongo, S3Server s3) throws SQLException {
        this.pg = pg;
        f = new BulkFixture(pg, mongo, null, s3);
        sql("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
        sql("INSERT INTO items SELECT i, 'row ' || i FROM generate_series(1, 100) i");
        sql("CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), success boolean NOT NULL)");
        sql("INSERT INTO flyway_schema_history VALUES (1, '1', true)");
        pg.createRoles(f.pgDatabase, BulkFixture.ROLE_PASSWORD); // withholds the history, now that it exists, from the loader
    }

    private Connection connect(String user) throws SQLException {
        return f.connect(user);
    }

    private void sql(String statement) throws SQLException {
        f.sql(statement);
    }

    /** Relations, their rows' hash, roles and their superuser flag, large objects: what an attack could change. */
    private String state() throws SQLException {
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            StringBuilder out = new StringBuilder();
            try (ResultSet rs = s.executeQuery("SELECT string_agg(format('%s.%s:%s', n.nspname, c.relname, c.relkind), ',' ORDER BY 1) "
                + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                + "AND n.nspname NOT LIKE 'pg_to%' AND n.nspname NOT LIKE 'pg_temp%'")) {
                rs.next();
                out.append(rs.getString(1));
            }
            for (String table : new String[] {"items", "flyway_schema_history"}) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY t::text)) FROM " + table + " t")) {
                    rs.next();
                    out.append('|').append(table).append('=').append(rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT string_agg(rolname || ':' || rolsuper, ',' ORDER BY rolname), "
                + "(SELECT count(*) FROM pg_largeobject_metadata) FROM pg_roles")) {
                rs.next();
                out.append("|roles=").append(rs.getString(1)).append("|largeObjects=").append(rs.getLong(2));
            }
            return out.toString();
        }
    }

    private ObjectNode export(String target, String source) {
        ObjectNode e = BulkFixture.event("{\"target\": \"" + target + "\", \"destination\": \"" + BulkFixture.folder() + "\"}");
        e.set("source", BulkFixture.event(source));
        return e;
    }

    private static String query(String sql) {
        return "{\"query\": " + dev.tidemark.json.Json.MAPPER.valueToTree(sql) + "}";
    }

    @ParameterizedTest
    @ValueSource(strings = {"pg", "pg-reader"})
    void theCommitInjectionThatEndedTheReadOnlyTransactionRunsNothingEvenAsSuperuser(String target) throws SQLException {
        String before = state();
        assertThatThrownBy(() -> f.exportAll(export(target, query(COMMIT_INJECTION)), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageStartingWith("source.query: ");
        assertThat(state()).isEqualTo(before).doesNotContain("tidemark_evil");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT 1 AS x) s; COMMIT; DROP TABLE items; SELECT * FROM (SELECT 1 AS y",
        "SELECT 1) TO PROGRAM 'touch /tmp/tidemark-pwned'; COPY (SELECT 1",
        "SELECT $$;$$ AS a) s; COMMIT; DROP TABLE items; SELECT * FROM (SELECT 1 AS b",
        "SELECT 1 /* ; */ AS a) s; COMMIT; DROP TABLE items; --",
        "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d",
        "SELECT * FROM items FOR UPDATE",
        "SELECT 1; DROP TABLE items",
        "DELETE FROM items",
        "COMMIT",
        "SELECT 1 \\; DROP TABLE items",
        "SELECT * INTO stolen FROM items",
        "SELECT id FROM items) AS src; SET ROLE postgres; DROP TABLE items; SELECT 1 FROM (SELECT 1"})
    void aQueryThatIsNotOneReadOnlySelectChangesNothingEvenAsSuperuser(String sql) throws SQLException {
        String before = state();
        Throwable t = catchThrowable(() -> f.exportAll(export("pg", query(sql)), Budget.unlimited()));
        assertThat(t).isInstanceOf(TidemarkException.class).hasMessageStartingWith("source.query: ");
        assertThat(state()).isEqualTo(before);
        assertThat(Path.of("/tmp/tidemark-pwned")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT pg_read_file('/etc/passwd') AS f",
        "SELECT lo_export(lo_from_bytea(0, 'x'), '/tmp/tidemark-lo') AS f",
        "SELECT pg_ls_dir('/') AS f",
        "SELECT pg_reload_conf() AS f",
        "SELECT set_config('log_statement', 'all', false) AS f",
        "SELECT lo_import('/etc/passwd') AS f"})
    void serverSideFunctionsAreRefusedByTheDatabaseToTheReaderRole(String sql) throws SQLException {
        String before = state();
        assertThatThrownBy(() -> f.exportAll(export("pg-reader", query(sql)), Budget.unlimited()))
            .isInstanceOf(TidemarkException.class).hasMessageStartingWith("source.query: ").hasMessageContaining("SQL state 42501")
            .hasMessageNotContaining("/etc/passwd");
        assertThat(state()).isEqualTo(before);
        assertThat(Path.of("/tmp/tidemark-lo")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "INSERT INTO items VALUES (1000, 'x')",
        "UPDATE flyway_schema_history SET success = false",
        "SELECT * FROM pg_authid",
        "SELECT * FROM pg_shadow",
        "SELECT * FROM pg_statistic",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT lo_export(lo_from_bytea(0, 'x'), '/tmp/tidemark-lo')",
        "COPY items TO PROGRAM 'touch /tmp/tidemark-pwned'",
        "CREATE TABLE public.planted (id int)",
        "ALTER ROLE tidemark_reader SUPERUSER"})
    void theReaderRoleMayOnlyReadTheApplicationsTables(String sql) throws SQLException {
        String before = state();
        try (Connection c = connect(PostgresServer.READER); Statement s = c.createStatement()) {
            assertThat(catchThrowable(() -> s.execute(sql))).isInstanceOf(SQLException.class)
                .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("42501");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM items")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(100);
            }
        }
        assertThat(state()).isEqualTo(before);
        assertThat(Path.of("/tmp/tidemark-pwned")).doesNotExist();
    }

    @Test
    void theLoaderRoleMayWriteRowsButNeverTheHistory() throws SQLException {
        try (Connection c = connect(PostgresServer.LOADER); Statement s = c.createStatement()) {
            s.execute("INSERT INTO items VALUES (1000, 'loaded')");
            for (String sql : new String[] {"DELETE FROM flyway_schema_history", "INSERT INTO flyway_schema_history VALUES (99, '99', true)",
                "SELECT * FROM pg_authid", "SELECT pg_read_file('/etc/passwd')", "DROP TABLE items"}) {
                assertThat(catchThrowable(() -> s.execute(sql))).as(sql).isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isIn("42501");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"table\": \"flyway_schema_history\"}",
        "{\"table\": \"public.flyway_schema_history\"}",
        "{\"table\": \"pg_authid\"}",
        "{\"table\": \"pg_catalog.pg_class\"}",
        "{\"table\": \"information_schema.tables\"}",
        "{\"table\": \"pg_shadow\"}",
        "{\"query\": \"SELECT * FROM flyway_schema_history\"}",
        "{\"query\": \"SELECT rolname FROM pg_roles\"}",
        "{\"query\": \"TABLE pg_catalog.pg_class\"}",
        "{\"query\": \"SELECT i.id FROM items i JOIN information_schema.tables t ON true\"}"})
    void systemCatalogsAndTheHistoryAreNeverExported(String source) throws SQLException {
        String before = state();
        assertThatThrownBy(() -> f.exportAll(export("pg", source), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageStartingWith(source.startsWith("{\"table") ? "source.table: " : "source.query: ");
        assertThat(state()).isEqualTo(before);
    }

    @Test
    void aQueryThatSleepsIsStoppedByTheStatementTimeoutOfTheInvocation() {
        long t0 = System.nanoTime();
        Throwable t = catchThrowable(() -> f.exportAll(export("pg-reader", query("SELECT id, (SELECT 1 FROM pg_sleep(100)) AS s FROM items")),
            Budget.of(Duration.ZERO, Duration.ofSeconds(2))));
        assertThat(t).isInstanceOf(TidemarkException.class).hasMessageContaining("SQL state 57014");
        assertThat(((TidemarkException) t).retryable()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void anImportIntoTheHistoryIsRefusedAndChangesNothing() throws SQLException {
        ObjectNode export = export("pg", "{\"query\": \"SELECT 7 AS installed_rank, '99' AS version, true AS success\"}");
        f.exportAll(export, Budget.unlimited());
        String before = state();
        for (String mode : new String[] {"insert", "upsert", "replace"}) {
            assertThatThrownBy(() -> f.importAll(BulkFixture.event("{\"target\": \"pg\", \"source\": \"" + export.get("destination").asText()
                + "\", \"destination\": {\"table\": \"flyway_schema_history\"}, \"mode\": \"" + mode + "\"}"), Budget.unlimited()))
                .isInstanceOf(ValidationException.class).hasMessageStartingWith("destination.table: ");
        }
        assertThat(state()).isEqualTo(before);
    }

    @Test
    void theReaderExportsTheApplicationsRows() {
        f.exportAll(export("pg-reader", "{\"table\": \"items\"}"), Budget.unlimited());
        ObjectNode e = export("pg-reader", "{\"query\": \"SELECT id, upper(name) AS name FROM items WHERE id > 50\", \"key\": [\"id\"]}");
        f.exportAll(e, Budget.of(Duration.ZERO, Duration.ofMinutes(5)));
        assertThat(f.manifest(e.get("destination").asText()).path("totalRows").asLong()).isEqualTo(50);
    }


    @Test
    void aTargetsBulkAllowListIsTheOnlyThingItsBulkRequestsReach() throws SQLException {
        sql("CREATE TABLE secrets (id bigint PRIMARY KEY, token text)");
        sql("CREATE TABLE items_copy (LIKE items INCLUDING ALL)");
        String before = state();
        assertThatThrownBy(() -> f.exportAll(export("pg-allow", "{\"table\": \"secrets\"}"), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageStartingWith("source.table: 'public.secrets' is not in the bulk allow-list");
        assertThatThrownBy(() -> f.exportAll(export("pg-allow", query("SELECT i.id, s.token FROM items i JOIN secrets s USING (id)")),
            Budget.unlimited())).isInstanceOf(ValidationException.class)
            .hasMessageStartingWith("source.query: 'public.secrets' is not in the bulk allow-list");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"docs-allow\", \"source\": {\"collection\": \"users\"}, "
            + "\"destination\": \"" + BulkFixture.folder() + "\"}"), Budget.unlimited())).isInstanceOf(ValidationException.class)
            .hasMessageStartingWith("source.collection: 'users' is not in the bulk allow-list");
        assertThat(state()).isEqualTo(before);
        ObjectNode allowed = export("pg-allow", "{\"table\": \"items\"}");
        f.exportAll(allowed, Budget.unlimited());
        assertThatThrownBy(() -> f.importAll(BulkFixture.event("{\"target\": \"pg-allow\", \"source\": \"" + allowed.get("destination").asText()
            + "\", \"destination\": {\"table\": \"secrets\"}, \"mode\": \"insert\"}"), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageStartingWith("destination.table: 'public.secrets' is not in the bulk allow-list");
        f.importAll(BulkFixture.event("{\"target\": \"pg-allow\", \"source\": \"" + allowed.get("destination").asText()
            + "\", \"destination\": {\"table\": \"items_copy\"}, \"mode\": \"insert\"}"), Budget.unlimited());
    }
}
