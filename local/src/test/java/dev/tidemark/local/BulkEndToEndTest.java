package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.secrets.ConnectionSecrets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bulk state machines, run by aws-local-stepfunctions, looping over the real bulk functions through the local
 * Lambda endpoint: a PostgreSQL table goes to S3 in several invocations and comes back into PostgreSQL and into an
 * Elasticsearch index.
 */
class BulkEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path repo;
    private static LocalRollout local;

    @TempDir
    static Path temp;

    @BeforeAll
    static void startStack() throws Exception {
        repo = LocalRollout.findRepo(Path.of(""));
        local = LocalRollout.start(repo, null, repo.resolve("examples"), Map.of(), new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));
        assertThat(local.rollout(repo.resolve("events/rollout.json"), 100, new PrintStream(new ByteArrayOutputStream())).succeeded()).isTrue();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO users (email, display_name, locale) SELECT 'user' || i || '@example.com', "
                + "'Ünïcödé ✓ ' || md5(i::text) || md5((i * 7)::text), 'en' FROM generate_series(1, 40000) i");
        }
    }

    @AfterAll
    static void stopStack() {
        if (local != null) {
            local.close();
        }
    }

    private static Connection connect() throws Exception {
        return DriverManager.getConnection(local.stack().postgres().jdbcUrl(LocalStack.DATABASE), "postgres", local.stack().postgresPassword());
    }

    private static StateMachineRunner.Execution run(String stateMachine, String eventFile, Map<String, Object> overrides) throws Exception {
        ObjectNode event = (ObjectNode) JSON.readTree(repo.resolve(eventFile).toFile());
        overrides.forEach((k, v) -> event.set(k, JSON.valueToTree(v)));
        Path input = Files.createTempFile(temp, "event", ".json");
        Files.writeString(input, event.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StateMachineRunner.Execution execution = local.execute(stateMachine, input, 100, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(execution.succeeded()).as(String.join("\n", execution.transcript())).isTrue();
        return execution;
    }

    @Test
    void theBulkStateMachinesLoopUntilDoneAndMoveATableToPostgresAndElasticsearch() throws Exception {
        StateMachineRunner.Execution export = run("BulkExportStateMachine", "events/bulk-export-postgres.json",
            Map.of("destination", "s3://tidemark-bulk/e2e/users/", "partSizeMb", 1, "maxSecondsPerCall", 0));
        JsonNode result = export.report().path("output").path("result");
        assertThat(result.path("totalRecords").asLong()).isEqualTo(40000);
        assertThat(result.path("partsDone").asInt()).isGreaterThan(1);
        assertThat(export.transcript().stream().filter(l -> l.contains("-> Export (Task) entered")).count())
            .isEqualTo(result.path("partsDone").asLong());

        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE users_restored (LIKE users INCLUDING ALL)");
        }
        run("BulkImportStateMachine", "events/bulk-import-postgres.json", Map.of("source", "s3://tidemark-bulk/e2e/users/",
            "destination", Map.of("table", "users_restored"), "mode", "insert", "maxSecondsPerCall", 0));
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM users_restored), (SELECT count(*) FROM users u JOIN users_restored r "
                 + "ON r.id = u.id AND r::text = u::text)")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(40000);
            assertThat(rs.getLong(2)).isEqualTo(40000);
        }
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("INSERT INTO users_restored (email, email_normalized, display_name) VALUES ('new@example.com', 'new@example.com', 'New') RETURNING id")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the identity sequence moved past the imported ids").isGreaterThan(40000);
        }

        run("BulkImportStateMachine", "events/bulk-import-elasticsearch.json", Map.of("source", "s3://tidemark-bulk/e2e/users/"));
        try (ElasticClient es = new ElasticClient(new ConnectionSecrets.Elastic(local.stack().elastic().url(), null, null, null))) {
            assertThat(es.send("GET", "/users/_count", null).body().path("count").asLong()).isEqualTo(40000);
            assertThat(es.send("GET", "/users/_doc/7", null).body().path("_source").path("email").asText()).isEqualTo("user7@example.com");
            assertThat(es.send("GET", "/_alias/users", null).body().fieldNames().next()).startsWith("users-tidemark-");
        }
    }
}
