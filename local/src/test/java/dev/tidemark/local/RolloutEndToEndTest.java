package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import dev.tidemark.mongo.MongoLeaseStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real rollout state machine, run by aws-local-stepfunctions, calling the real handlers through the local Lambda
 * endpoint, against real servers. The tests share one stack and run in order: each starts from what the previous left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RolloutEndToEndTest {

    private static Path repo;
    private static LocalRollout rollout;
    private static final ByteArrayOutputStream PROGRESS = new ByteArrayOutputStream();

    @TempDir
    static Path temp;

    @BeforeAll
    static void startStack() {
        repo = LocalRollout.findRepo(Path.of(""));
        rollout = LocalRollout.start(repo, null, repo.resolve("examples"), Map.of("TIDEMARK_LOCK_WAIT_SECONDS", "1"),
            new PrintStream(PROGRESS, true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stopStack() {
        if (rollout != null) {
            rollout.close();
        }
    }

    private StateMachineRunner.Execution run() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return rollout.rollout(repo.resolve("events/rollout.json"), 1500, new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    private static JsonNode target(JsonNode output, String name) {
        for (JsonNode t : output.path("targets")) {
            if (t.path("target").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no result for " + name + " in " + output);
    }

    @Test
    @Order(1)
    void aRolloutWaitingOnAHeldMongoLeaseRetriesAndAppliesEveryStore() {
        try (MongoClient client = MongoClients.create(rollout.stack().mongo().uri())) {
            Instant now = Instant.now();
            new MongoLeaseStore(client.getDatabase(LocalStack.DATABASE)).tryAcquire("another-run", now, now.plusSeconds(8));
        }
        StateMachineRunner.Execution execution = run();
        assertThat(execution.succeeded()).as(String.join("\n", execution.transcript())).isTrue();
        assertThat(execution.transcript()).anyMatch(l -> l.contains("UpgradeTarget[1] retry") && l.contains("LockContentionException"));
        JsonNode output = execution.report().path("output");
        assertThat(output.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(output.path("release").asText()).isEqualTo("2026.11.1");
        assertThat(target(output, "app-db").path("status").asText()).isEqualTo("MIGRATED");
        assertThat(target(output, "app-db").path("versionAfter").asText()).isEqualTo("11");
        assertThat(target(output, "app-docs").path("versionAfter").asText()).isEqualTo("5");
        assertThat(target(output, "search").path("versionAfter").asText()).isEqualTo("5");
        assertThat(target(output, "app-db").path("migrations")).hasSize(11)
            .allSatisfy(m -> assertThat(m.path("executionTimeMs").isNumber()).isTrue());
        assertThat(output.path("healthBefore").asText()).isEqualTo("degraded");
        assertThat(output.path("healthAfter").asText()).isEqualTo("healthy");
        assertThat(output.path("healthSummary").asText()).isEqualTo("all healthy");
        assertThat(execution.transcript()).contains("-> Preflight (Task) entered", "-> Result (Pass) entered", "-> Done (Succeed) entered")
            .anyMatch(l -> l.matches("<- Verify \\(Task\\) left after \\d+ ms"))
            .as("the runner shows the backfill's progress after the call that ran it")
            .anyMatch(l -> l.matches("\\s+backfill V9__backfill_users_email_normalized.sql: \\d+ of ~\\d+ rows.*, \\d+ batches, .* rows/s, finished"));
    }

    @Test
    @Order(2)
    void aSecondRolloutAppliesNothingAndSaysSo() {
        StateMachineRunner.Execution execution = run();
        assertThat(execution.succeeded()).isTrue();
        JsonNode output = execution.report().path("output");
        for (String name : List.of("app-db", "app-docs", "search")) {
            assertThat(target(output, name).path("status").asText()).isEqualTo("UP_TO_DATE");
            assertThat(target(output, name).path("migrations")).isEmpty();
        }
    }

    @Test
    @Order(3)
    void noSecretAppearsInTheTranscriptOrTheResult() {
        StateMachineRunner.Execution execution = run();
        String password = rollout.stack().postgresPassword();
        assertThat(String.join("\n", execution.transcript())).doesNotContain(password);
        assertThat(execution.report().toString()).doesNotContain(password);
        assertThat(PROGRESS.toString(StandardCharsets.UTF_8)).doesNotContain(password);
    }

    @Test
    @Order(4)
    void aReleaseTheLintRefusesEndsInLintFailedBeforeAnyTargetChanges() throws Exception {
        Path release = temp.resolve("lint-refused");
        copy(repo.resolve("examples"), release);
        Files.writeString(release.resolve("elasticsearch/V6__create_playlists_index.http"),
            "PUT /playlists-v1\n{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}}\n");
        Files.writeString(release.resolve("elasticsearch/U6__create_playlists_index.http"), "DELETE /playlists-v1\n");
        Files.writeString(release.resolve("postgres/V12__drop_consent.sql"), "DROP TABLE consent;\n");
        Files.writeString(release.resolve("postgres/U12__drop_consent.sql"), "SELECT 1;\n");
        rollout.stack().uploadMigrations(release);
        StateMachineRunner.Execution execution = run(mongoLastEvent());
        assertThat(execution.succeeded()).isFalse();
        assertThat(execution.report().path("error").asText()).isEqualTo("Tidemark.LintFailed");
        assertThat(execution.report().path("cause").asText()).contains("target 'app-db'").contains("PG004").contains("V12__drop_consent.sql");
        assertThat(execution.transcript()).as("nothing was upgraded, so nothing is compensated")
            .noneMatch(l -> l.contains("UpgradeTarget")).noneMatch(l -> l.contains("Compensate"));
        try (var c = java.sql.DriverManager.getConnection(rollout.stack().postgres().jdbcUrl(LocalStack.DATABASE), "postgres",
            rollout.stack().postgresPassword()); var rs = c.createStatement().executeQuery("SELECT to_regclass('consent') IS NOT NULL")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
        }
        try (var es = new dev.tidemark.elastic.ElasticClient(new dev.tidemark.secrets.ConnectionSecrets.Elastic(
            rollout.stack().elastic().url(), null, null, null))) {
            assertThat(es.send("HEAD", "/playlists-v1", null).status()).as("the store linted clean was not upgraded either").isEqualTo(404);
        }
    }

    private StateMachineRunner.Execution run(Path event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return rollout.rollout(event, 1500, new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    /** The examples plus PostgreSQL V12, Elasticsearch V6 and a MongoDB V6 whose second command fails, each with its undo. */
    private static Path brokenRelease(boolean mongoUndo) throws IOException {
        Path migrations = temp.resolve(mongoUndo ? "broken" : "broken-no-undo");
        copy(repo.resolve("examples"), migrations);
        Files.writeString(migrations.resolve("postgres/V12__create_playlists.sql"),
            "CREATE TABLE playlists (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE);\n"
                + "CREATE INDEX playlists_user_id_idx ON playlists (user_id);\n");
        Files.writeString(migrations.resolve("postgres/U12__create_playlists.sql"), "DROP TABLE playlists;\n");
        Files.writeString(migrations.resolve("elasticsearch/V6__create_playlists_index.http"),
            "PUT /playlists-v1\n{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}}\n");
        Files.writeString(migrations.resolve("elasticsearch/U6__create_playlists_index.http"), "DELETE /playlists-v1\n");
        Files.writeString(migrations.resolve("mongodb/V6__break_consent.json"),
            "[{\"create\": \"playlist_shares\"},\n {\"insert\": \"consent_purposes\", \"documents\": [{\"_id\": \"service\", \"title\": \"duplicate\"}]}]");
        if (mongoUndo) {
            Files.writeString(migrations.resolve("mongodb/U6__break_consent.json"), "[{\"drop\": \"playlist_shares\"}]");
        }
        return migrations;
    }

    /** Upgrades PostgreSQL, then Elasticsearch, then MongoDB, so that two stores have changed when MongoDB fails. */
    private static Path mongoLastEvent() throws IOException {
        Path event = temp.resolve("rollout-mongo-last.json");
        Files.writeString(event, """
            {"release": "2026.11.2", "dryRun": false, "targets": [
              {"store": "postgres", "name": "app-db", "targetVersion": "latest"},
              {"store": "elasticsearch", "name": "search", "targetVersion": "latest"},
              {"store": "mongodb", "name": "app-docs", "targetVersion": "latest"}]}
            """);
        return event;
    }

    @Test
    @Order(5)
    void aMongoMigrationFailingMidwayRollsEveryStoreBackToItsPreRolloutVersion() throws Exception {
        rollout.stack().uploadMigrations(brokenRelease(true));
        StateMachineRunner.Execution execution = run(mongoLastEvent());
        assertThat(execution.succeeded()).isFalse();
        assertThat(execution.transcript()).anyMatch(l -> l.startsWith("-> Compensate (Task) entered"))
            .anyMatch(l -> l.startsWith("-> RolledBack (Fail) entered"));
        assertThat(execution.report().path("error").asText()).isEqualTo("Tidemark.RolledBack");
        assertThat(execution.report().path("cause").asText())
            .contains("mongodb target 'app-docs': migration 6 (V6__break_consent.json) failed")
            .contains("postgres 'app-db' 12 -> 11 (U12__create_playlists.sql)")
            .contains("elasticsearch 'search' 6 -> 5 (U6__create_playlists_index.http)")
            .contains("mongodb 'app-docs' 5 -> 5 (U6__break_consent.json)");
        try (var c = java.sql.DriverManager.getConnection(rollout.stack().postgres().jdbcUrl(LocalStack.DATABASE), "postgres",
            rollout.stack().postgresPassword()); var rs = c.createStatement().executeQuery(
            "SELECT to_regclass('playlists') IS NULL, (SELECT string_agg(version || ':' || type, ',' ORDER BY installed_rank)"
                + " FROM flyway_schema_history WHERE version = '12')")) {
            rs.next();
            assertThat(rs.getBoolean(1)).as("PostgreSQL V12 undone").isTrue();
            assertThat(rs.getString(2)).isEqualTo("12:SQL,12:DELETE");
        }
        try (var es = new dev.tidemark.elastic.ElasticClient(new dev.tidemark.secrets.ConnectionSecrets.Elastic(
            rollout.stack().elastic().url(), null, null, null))) {
            assertThat(es.send("HEAD", "/playlists-v1", null).status()).as("Elasticsearch V6 undone").isEqualTo(404);
        }
        try (MongoClient client = MongoClients.create(rollout.stack().mongo().uri())) {
            var db = client.getDatabase(LocalStack.DATABASE);
            assertThat(db.listCollectionNames().into(new java.util.ArrayList<>())).doesNotContain("playlist_shares");
            assertThat(db.getCollection("tidemark_schema_history").find(new org.bson.Document("version", "6"))
                .map(d -> d.getString("type") + ":" + d.getBoolean("success")).into(new java.util.ArrayList<>()))
                .containsExactly("JSON:false", "DELETE:true");
        }
        StateMachineRunner.Execution health = run(mongoLastEvent());
        assertThat(health.transcript()).as("histories are consistent: the next rollout passes preflight and fails the same way")
            .anyMatch(l -> l.startsWith("-> Upgrade (Map) entered"));
    }

    @Test
    @Order(6)
    void aRollbackThatCannotUndoAFailedMigrationEndsInRollbackFailedListingWhatWasRolledBack() throws Exception {
        rollout.stack().uploadMigrations(brokenRelease(false));
        StateMachineRunner.Execution execution = run(mongoLastEvent());
        assertThat(execution.succeeded()).isFalse();
        assertThat(execution.report().path("error").asText()).isEqualTo("dev.tidemark.error.RollbackIncompleteException");
        assertThat(execution.report().path("cause").asText())
            .contains("migration 6 (V6__break_consent.json) failed")
            .contains("postgres 'app-db' 12 -> 11")
            .contains("mongodb 'app-docs' NOT rolled back")
            .contains("no undo migration U<version>__<description>.json for version 6");
    }

    @Test
    @Order(7)
    void aRolloutOnATargetWithAFailedMigrationStopsAtPreflightAndChangesNothing() {
        StateMachineRunner.Execution execution = run(mongoLastEvent0());
        assertThat(execution.succeeded()).isFalse();
        assertThat(execution.report().path("error").asText()).isEqualTo("Tidemark.PreflightUnhealthy");
        assertThat(execution.report().path("cause").asText())
            .contains("app-docs (mongodb) unhealthy: failed migration 6 (V6__break_consent.json)");
        assertThat(execution.transcript()).noneMatch(l -> l.contains("UpgradeTarget"));
    }

    private static Path mongoLastEvent0() {
        try {
            return mongoLastEvent();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path dest = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(f, dest);
                }
            }
        }
    }
}
