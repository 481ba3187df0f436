package dev.tidemark.local;

import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import dev.tidemark.error.ValidationException;
import dev.tidemark.functions.health.HealthCheckHandler;
import dev.tidemark.functions.rollback.RollbackHandler;
import dev.tidemark.functions.upgrade.UpgradeHandler;
import dev.tidemark.servers.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The handlers invoked directly with the sample events under {@code events/}, against the embedded stack. The
 * test that migrates runs last: the others check that nothing was touched.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HandlersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path repo;
    private static LocalStack stack;

    @BeforeAll
    static void startStack() {
        repo = LocalRollout.findRepo(Path.of(""));
        stack = LocalStack.start(null, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        stack.uploadMigrations(repo.resolve("examples"));
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    private static JsonNode invoke(com.amazonaws.services.lambda.runtime.RequestStreamHandler handler, String event, String name)
        throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, new LocalContext(name, 60, 1024));
        return JSON.readTree(out.toByteArray());
    }

    private static String event(String file) throws IOException {
        return Files.readString(repo.resolve("events").resolve(file));
    }

    private boolean nothingTouched() throws Exception {
        PostgresServer pg = stack.postgres();
        try (var c = DriverManager.getConnection(pg.jdbcUrl(LocalStack.DATABASE), "postgres", "x");
             var rs = c.createStatement().executeQuery("SELECT to_regclass('public.flyway_schema_history') IS NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return false;
            }
        }
        try (MongoClient client = MongoClients.create(stack.mongo().uri())) {
            if (client.getDatabase(LocalStack.DATABASE).listCollectionNames().into(new ArrayList<>()).contains("tidemark_schema_history")) {
                return false;
            }
        }
        HttpURLConnection c = (HttpURLConnection) URI.create(stack.elastic().url() + "/tidemark_schema_history").toURL().openConnection();
        c.setRequestMethod("HEAD");
        return c.getResponseCode() == 404;
    }

    @Test
    void aDryRunUpgradeEventListsWhatWouldRunAndChangesNothing() throws Exception {
        JsonNode result = invoke(new UpgradeHandler(stack.functionEnvironment()), event("upgrade-dry-run.json"), "UpgradeFunction");
        assertThat(result.path("dryRun").asBoolean()).isTrue();
        JsonNode pg = result.path("results").get(0);
        assertThat(pg.path("status").asText()).isEqualTo("DRY_RUN");
        assertThat(pg.path("migrations").findValuesAsText("script"))
            .containsExactly("V1__create_users.sql", "V2__create_conversations_and_messages.sql", "V3__create_refresh_tokens.sql");
        assertThat(nothingTouched()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "missing store      | {\"targets\":[{\"name\":\"app-db\"}]}                                                      | targets[0].store: missing",
        "unknown store      | {\"targets\":[{\"store\":\"redis\",\"name\":\"app-db\"}]}                                  | targets[0].store: unknown store 'redis'",
        "malformed version  | {\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\",\"targetVersion\":\"v2\"}]}     | targets[0].targetVersion: malformed version 'v2'",
        "unknown target     | {\"targets\":[{\"store\":\"postgres\",\"name\":\"billing\"}]}                              | targets[0].name: unknown target 'billing'",
        "store mismatch     | {\"targets\":[{\"store\":\"mongodb\",\"name\":\"app-db\"}]}                                | targets[0].store: target 'app-db' is a postgres target",
        "location scheme    | {\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\",\"location\":\"ftp://host/x\"}]} | targets[0].location: scheme 'ftp' is not allowed",
        "unknown field      | {\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\",\"version\":\"2\"}]}            | targets[0].version: unknown field",
        "no targets         | {\"dryRun\":true}                                                                          | targets: missing or empty",
        "dry run not a flag | {\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\"}],\"dryRun\":\"yes\"}            | dryRun: expected true or false",
        "not JSON           | {targets:                                                                                  | event: not one valid JSON value at line 1, column 2: malformed JSON"})
    void badUpgradeInputIsAValidationErrorNamingTheFieldAndTouchesNothing(String caseName, String event, String message) throws Exception {
        UpgradeHandler handler = new UpgradeHandler(stack.functionEnvironment());
        assertThatThrownBy(() -> invoke(handler, event, "UpgradeFunction"))
            .isInstanceOf(ValidationException.class)
            .hasMessageStartingWith(message);
        assertThat(nothingTouched()).isTrue();
    }

    @Test
    void theScheduledHealthCheckReportsEveryTargetAndEmitsEmfMetrics() throws Exception {
        ScheduledEvent scheduled = EventLoader.loadScheduledEvent(repo.resolve("events/health-check.json").toString());
        assertThat(scheduled.getDetailType()).isEqualTo("Scheduled Event");
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        JsonNode report;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            report = invoke(new HealthCheckHandler(stack.functionEnvironment()), event("health-check.json"), "HealthCheckFunction");
        } finally {
            System.setOut(stdout);
        }
        assertThat(report.path("targets")).hasSize(3);
        assertThat(report.path("summary").asText()).contains("app-db (postgres) degraded: 11 pending");
        assertThat(report.path("targets").findValuesAsText("name")).containsExactly("app-db", "app-docs", "search");
        assertThat(report.path("targets")).allSatisfy(t -> {
            assertThat(t.path("reachable").asBoolean()).isTrue();
            assertThat(t.path("latencyMs").asLong()).isGreaterThanOrEqualTo(0);
        });
        JsonNode search = report.path("targets").get(2);
        assertThat(search.path("clusterStatus").asText()).isIn("green", "yellow");
        String logs = captured.toString(StandardCharsets.UTF_8);
        assertThat(logs).contains("\"_aws\"").contains("\"Namespace\":\"Tidemark\"").contains("PendingMigrations").contains("\"Target\":\"app-db\"");
        assertThat(logs).doesNotContain(stack.postgresPassword());
    }

    @Test
    void anUnreachableTargetIsReportedUnhealthyWithoutFailingTheCheck() throws Exception {
        Map<String, String> env = new HashMap<>(stack.functionEnvironment());
        env.put("TIDEMARK_TARGETS", "[{\"name\":\"gone\",\"store\":\"elasticsearch\",\"secretId\":\"tidemark/local/missing\",\"location\":\"s3://"
            + LocalStack.BUCKET + "/elasticsearch\"}]");
        JsonNode report = invoke(new HealthCheckHandler(env), "{}", "HealthCheckFunction");
        assertThat(report.path("status").asText()).isEqualTo("unhealthy");
        assertThat(report.path("summary").asText()).isEqualTo("gone (elasticsearch) unhealthy: unreachable: SECRET_ERROR");
        assertThat(report.path("targets").get(0).path("reachable").asBoolean()).isFalse();
        assertThat(report.path("targets").get(0).path("error").asText()).contains("SECRET_ERROR").contains("tidemark/local/missing");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "above current      | {\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\",\"targetVersion\":\"5\"}]}      | targets[0].targetVersion: 5 is above the current version (none)",
        "latest             | {\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\",\"targetVersion\":\"latest\"}]} | targets[0].targetVersion: 'latest' is not a version to go back to",
        "missing version    | {\"targets\":[{\"store\":\"mongodb\",\"name\":\"app-docs\"}]}                                | targets[0].targetVersion: missing",
        "malformed version  | {\"targets\":[{\"store\":\"mongodb\",\"name\":\"app-docs\",\"targetVersion\":\"two\"}]}   | targets[0].targetVersion: malformed version 'two'",
        "restore not report | {\"targets\":[{\"store\":\"mongodb\",\"name\":\"app-docs\"}],\"restore\":{}}                | restore: expected the rollout's preflight health report"})
    void badRollbackInputIsRefusedNamingTheFieldAndTouchesNothing(String caseName, String event, String message) throws Exception {
        RollbackHandler handler = new RollbackHandler(stack.functionEnvironment());
        assertThatThrownBy(() -> invoke(handler, event, "RollbackFunction"))
            .isInstanceOf(dev.tidemark.error.TidemarkException.class)
            .hasMessageContaining(message);
        assertThat(nothingTouched()).isTrue();
    }

    @Test
    void anUpgradeWhoseMigrationsHaveAnUnapprovedLintErrorIsRefusedBeforeAnythingRuns(@org.junit.jupiter.api.io.TempDir Path dir)
        throws Exception {
        Files.writeString(dir.resolve("V1__users.sql"), "CREATE TABLE users (id bigint PRIMARY KEY, created_at timestamp NOT NULL);\n");
        Files.writeString(dir.resolve("U1__users.sql"), "DROP TABLE users;\n");
        String event = "{\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\",\"location\":\"filesystem:" + dir + "\"}]}";
        assertThatThrownBy(() -> invoke(new UpgradeHandler(stack.functionEnvironment()), event, "UpgradeFunction"))
            .isInstanceOf(ValidationException.class).hasMessageStartingWith("targets[0].location: filesystem locations are accepted in events "
                + "only under the configured roots");
        Map<String, String> env = new HashMap<>(stack.functionEnvironment());
        env.put("TIDEMARK_LOCATION_ROOTS", "[\"filesystem:" + dir + "\"]");
        assertThatThrownBy(() -> invoke(new UpgradeHandler(env), event, "UpgradeFunction"))
            .isInstanceOf(dev.tidemark.error.LintFailedException.class)
            .hasMessageContaining("target 'app-db': 1 lint error(s) without approval; nothing ran: PG001 V1__users.sql:1 users.created_at");
        assertThat(nothingTouched()).isTrue();
        Files.writeString(dir.resolve("V1__users.sql"), "-- tidemark:approve PG001 legacy import format, converted in V2\n"
            + "CREATE TABLE users (id bigint PRIMARY KEY, created_at timestamp NOT NULL);\n");
        JsonNode dry = invoke(new UpgradeHandler(env), event.replace("}]}", "}],\"dryRun\":true}"), "UpgradeFunction");
        assertThat(dry.path("lint").path("app-db").get(0).path("approval").asText()).isEqualTo("legacy import format, converted in V2");
        assertThat(dry.path("results").get(0).path("migrations").get(0).path("statements").get(0).asText()).endsWith("CREATE TABLE users (id bigint PRIMARY KEY, created_at timestamp NOT NULL)");
        assertThat(nothingTouched()).isTrue();
    }

    @Test
    @Order(Integer.MAX_VALUE - 4)
    void theUpgradeEventMigratesEveryTargetAndLogsNoSecret() throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        JsonNode result;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            result = invoke(new UpgradeHandler(stack.functionEnvironment()), event("upgrade.json"), "UpgradeFunction");
        } finally {
            System.setOut(stdout);
        }
        assertThat(result.path("results").findValuesAsText("status")).containsOnly("MIGRATED");
        assertThat(result.path("results").findValuesAsText("target")).containsExactly("app-db", "app-docs", "search");
        assertThat(captured.toString(StandardCharsets.UTF_8) + result).doesNotContain(stack.postgresPassword());
    }

    @Test
    @Order(Integer.MAX_VALUE - 3)
    void theHealthCheckRunsTheErasureCoverageCheckAndAnUncoveredSubjectReferenceDegradesTheTarget() throws Exception {
        JsonNode before = invoke(new HealthCheckHandler(stack.functionEnvironment()), "{}", "HealthCheckFunction");
        assertThat(before.path("targets")).as("the example plans cover the example schema").allSatisfy(t -> {
            assertThat(t.path("erasureCoverage").isArray()).as(t.toString()).isTrue();
            assertThat(t.path("erasureCoverage")).isEmpty();
        });
        try (var c = DriverManager.getConnection(stack.postgres().jdbcUrl(LocalStack.DATABASE), "postgres", stack.postgresPassword());
             var st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint)");
            try {
                JsonNode after = invoke(new HealthCheckHandler(stack.functionEnvironment()), "{}", "HealthCheckFunction");
                JsonNode pg = after.path("targets").get(0);
                assertThat(pg.path("status").asText()).isEqualTo("degraded");
                assertThat(pg.path("reasons").toString()).contains("erasure coverage: 1 finding(s)");
                assertThat(pg.path("erasureCoverage").get(0).asText()).contains("public.orders.user_id");
                assertThat(after.path("summary").asText()).contains("app-db (postgres) degraded: erasure coverage: 1 finding(s)");
            } finally {
                st.execute("DROP TABLE orders");
            }
        }
    }

    @Test
    @Order(Integer.MAX_VALUE - 2)
    void theRollbackDryRunEventListsTheUndoStatementsNewestFirstAndChangesNothing() throws Exception {
        JsonNode result = invoke(new RollbackHandler(stack.functionEnvironment()), event("rollback-dry-run.json"), "RollbackFunction");
        JsonNode pg = result.path("results").get(0);
        assertThat(pg.path("status").asText()).isEqualTo("DRY_RUN");
        assertThat(pg.path("migrations").findValuesAsText("script"))
            .containsExactly("U11__require_users_email_normalized.sql", "U10__index_users_email_normalized_concurrently.sql");
        assertThat(pg.path("migrations").get(1).path("statements").get(0).asText()).isEqualTo("DROP INDEX CONCURRENTLY IF EXISTS users_email_normalized_unique");
        assertThat(result.path("dataLoss")).extracting(JsonNode::asText).as("V11 is a contract migration")
            .containsExactly("app-db: V11__require_users_email_normalized.sql");
        JsonNode mongo = result.path("results").get(1);
        assertThat(mongo.path("migrations").get(0).path("statements").get(0).asText()).contains("\"dropIndexes\": \"consent\"");
        JsonNode es = result.path("results").get(2);
        assertThat(es.path("migrations").findValuesAsText("script")).containsExactly("U5__seed_genres.http", "U4__add_tracks_mood_field.http");
        assertThat(es.path("migrations").get(0).path("statements").get(0).asText()).isEqualTo("DELETE /genres-v1");
        assertThat(result.path("summary").asText()).startsWith("Rollback dry run: postgres 'app-db' would go 11 -> 9");
        JsonNode info = invoke(new HealthCheckHandler(stack.functionEnvironment()), "{}", "HealthCheckFunction");
        assertThat(info.path("targets").findValuesAsText("currentVersion")).containsExactly("11", "5", "5");
    }

    @Test
    @Order(Integer.MAX_VALUE - 1)
    void theRollbackEventUndoesEveryTargetToItsVersion() throws Exception {
        JsonNode result = invoke(new RollbackHandler(stack.functionEnvironment()), event("rollback.json"), "RollbackFunction");
        assertThat(result.path("results").findValuesAsText("status")).containsOnly("UNDONE");
        assertThat(result.path("results").findValuesAsText("versionAfter")).containsExactly("9", "3", "3");
        assertThat(result.path("summary").asText()).startsWith("Rolled back: postgres 'app-db' 11 -> 9 (U11__require_users_email_normalized.sql,"
            + " U10__index_users_email_normalized_concurrently.sql)");
        JsonNode info = invoke(new HealthCheckHandler(stack.functionEnvironment()), "{}", "HealthCheckFunction");
        assertThat(info.path("targets").findValuesAsText("currentVersion")).containsExactly("9", "3", "3");
        assertThat(info.path("summary").asText()).contains("app-db (postgres) degraded: 2 pending");
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void theRepairEventReportsWhatItRemovedOnEveryTarget() throws Exception {
        JsonNode result = invoke(new UpgradeHandler(stack.functionEnvironment()), event("repair.json"), "UpgradeFunction");
        assertThat(result.path("results")).isEmpty();
        assertThat(result.path("repairs").findValuesAsText("target")).containsExactly("app-db", "app-docs", "search");
        assertThat(result.path("repairs")).allSatisfy(r -> assertThat(r.path("removedFailed")).isEmpty());
    }
}
