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
        assertThat(target(output, "app-db").path("versionAfter").asText()).isEqualTo("7");
        assertThat(target(output, "app-docs").path("versionAfter").asText()).isEqualTo("5");
        assertThat(target(output, "search").path("versionAfter").asText()).isEqualTo("5");
        assertThat(target(output, "app-db").path("migrations")).hasSize(7)
            .allSatisfy(m -> assertThat(m.path("executionTimeMs").isNumber()).isTrue());
        assertThat(output.path("healthBefore").asText()).isEqualTo("degraded");
        assertThat(output.path("healthAfter").asText()).isEqualTo("healthy");
        assertThat(output.path("healthSummary").asText()).isEqualTo("all healthy");
        assertThat(execution.transcript()).contains("-> Preflight (Task) entered", "-> Result (Pass) entered", "-> Done (Succeed) entered")
            .anyMatch(l -> l.matches("<- Verify \\(Task\\) left after \\d+ ms"));
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
    void aFailingMongoMigrationEndsInFailNamingTheStoreAndTheVersion() throws IOException {
        Path migrations = temp.resolve("broken");
        copy(repo.resolve("examples"), migrations);
        Files.writeString(migrations.resolve("mongodb/V6__break_consent.json"),
            "[{\"insert\": \"consent_purposes\", \"documents\": [{\"_id\": \"service\", \"title\": \"duplicate\"}]}]");
        rollout.stack().uploadMigrations(migrations);
        StateMachineRunner.Execution execution = run();
        assertThat(execution.succeeded()).isFalse();
        assertThat(execution.report().path("error").asText()).isEqualTo("dev.tidemark.error.MigrationFailedException");
        assertThat(execution.report().path("cause").asText()).contains("mongodb", "app-docs", "migration 6", "V6__break_consent.json");
        assertThat(execution.transcript()).anyMatch(l -> l.startsWith("-> UpgradeFailed (Fail) entered"));
    }

    @Test
    @Order(5)
    void aRolloutOnATargetWithAFailedMigrationStopsAtPreflightAndChangesNothing() {
        StateMachineRunner.Execution execution = run();
        assertThat(execution.succeeded()).isFalse();
        assertThat(execution.report().path("error").asText()).isEqualTo("Tidemark.PreflightUnhealthy");
        assertThat(execution.report().path("cause").asText())
            .isEqualTo("app-docs (mongodb) unhealthy: failed migration 6 (V6__break_consent.json)");
        assertThat(execution.transcript()).noneMatch(l -> l.contains("UpgradeTarget"));
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
