package dev.tidemark.migration;

import com.mongodb.client.MongoClients;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.ElasticEngine;
import dev.tidemark.elastic.ElasticHistoryStore;
import dev.tidemark.mongo.MongoEngine;
import dev.tidemark.mongo.MongoHistoryStore;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.testing.Ledger;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lease faults with the holder in a JVM of its own, as Lambda runs it: stopped with {@code SIGSTOP} past its lease while
 * four new runs compete, then resumed with {@code SIGCONT}; or killed with {@code SIGKILL}. Each trial checks the
 * ledger against the history ({@link Ledger#assertConsistent}): no step twice, nothing half-applied recorded as done.
 */
@ExtendWith(ServersExtension.class)
class LeaseFaultProcessTest {

    private static final int COUNT = 8;
    private static final int STEPS = 12;
    private static final Duration LEASE = Duration.ofMillis(2000);
    private static final int TRIALS = 3;

    private String url;
    private String database;
    private Store store;

    private void setUp(String storeId, MongoServer mongo, ElasticsearchServer elastic) {
        store = Store.of(storeId);
        database = TestServers.unique("fault");
        if (store == Store.MONGODB) {
            url = mongo.uri();
        } else {
            url = elastic.url();
            reset();
        }
    }

    /** Elasticsearch has no databases: each trial starts from empty history, lock and ledger. */
    private void reset() {
        if (store == Store.ELASTICSEARCH) {
            try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null))) {
                for (String index : List.of("tidemark_schema_history", "tidemark_lock", "ledger")) {
                    client.send("DELETE", "/" + index + "?ignore_unavailable=true", null);
                }
            }
        } else {
            database = TestServers.unique("fault");
        }
    }

    private MigrationEngine engine(Duration wait) {
        var scripts = Ledger.scripts(store, COUNT, STEPS);
        return store == Store.MONGODB
            ? new MongoEngine("app-docs", MongoClients.create(url), database, scripts, LEASE, wait)
            : new ElasticEngine("search", new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null)), scripts, LEASE, wait);
    }

    private List<AppliedMigration> history() {
        if (store == Store.MONGODB) {
            try (var client = MongoClients.create(url)) {
                return new MongoHistoryStore(client.getDatabase(database)).read();
            }
        }
        try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null))) {
            return new ElasticHistoryStore(client, "search").read();
        }
    }

    private Process holder() throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
            "-XX:TieredStopAtLevel=1", "-Dlog4j2.level=WARN", "-cp", System.getProperty("java.class.path"), LeaseFaultHolder.class.getName(),
            store.id(), url, database, String.valueOf(COUNT), String.valueOf(STEPS), String.valueOf(LEASE.toMillis()))
            .redirectErrorStream(true).start();
    }

    /** Waits for the holder's "started" line, then until the ledger holds {@code steps} entries or the holder ends. */
    private BufferedReader waitUntilRunning(Process p, int steps) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.equals("started")) {
            // JVM and driver start-up lines
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (Ledger.read(store, url, database).size() < steps && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return out;
    }

    private static void signal(Process p, String signal) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor()).isZero();
    }

    private static String rest(BufferedReader out) throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("result ") || line.startsWith("error ")) {
                lines.add(line);
            }
        }
        return String.join("; ", lines);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mongodb", "elasticsearch"})
    void aHolderStoppedPastItsLeaseWhileFourRunsCompeteNeverRunsAStepTwice(String storeId, MongoServer mongo, ElasticsearchServer elastic)
        throws Exception {
        setUp(storeId, mongo, elastic);
        Random random = new Random();
        for (int trial = 1; trial <= TRIALS; trial++) {
            reset();
            int stopAt = 1 + random.nextInt(COUNT * STEPS / 2);
            Process p = holder();
            BufferedReader out = waitUntilRunning(p, stopAt);
            signal(p, "STOP");
            Thread.sleep(LEASE.toMillis() + 500);
            List<CompletableFuture<String>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                runs.add(CompletableFuture.supplyAsync(() -> {
                    try (MigrationEngine e = engine(Duration.ofSeconds(20))) {
                        return e.migrate(TargetVersion.LATEST, false).status().toString();
                    } catch (RuntimeException e) {
                        return e.getClass().getSimpleName();
                    }
                }));
            }
            List<String> outcomes = new ArrayList<>();
            for (CompletableFuture<String> r : runs) {
                outcomes.add(r.get(90, TimeUnit.SECONDS));
            }
            signal(p, "CONT");
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String held = rest(out);
            List<String> ledger = Ledger.read(store, url, database);
            System.out.printf("lease fault trial (%s, SIGSTOP): stopped after %d of %d steps; holder: %s; four runs: %s; steps run: %d%n",
                store.id(), stopAt, COUNT * STEPS, held, outcomes, ledger.size());
            assertThat(held).as("the resumed holder stops: its lease is gone").doesNotContain("result MIGRATED");
            assertThat(outcomes.stream().filter(o -> o.equals("MIGRATED")).count()).as("at most one run applies the rest").isLessThanOrEqualTo(1);
            Ledger.assertConsistent(ledger, history(), STEPS, "SIGSTOP trial " + trial);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mongodb", "elasticsearch"})
    void aHolderKilledMidRunLeavesNoHalfAppliedMigrationRecordedAsDone(String storeId, MongoServer mongo, ElasticsearchServer elastic)
        throws Exception {
        setUp(storeId, mongo, elastic);
        Random random = new Random();
        for (int trial = 1; trial <= TRIALS; trial++) {
            reset();
            int killAt = 1 + random.nextInt(COUNT * STEPS - 1);
            Process p = holder();
            waitUntilRunning(p, killAt);
            signal(p, "KILL");
            p.waitFor(30, TimeUnit.SECONDS);
            String next;
            try (MigrationEngine e = engine(Duration.ofSeconds(20))) {
                next = e.migrate(TargetVersion.LATEST, false).status().toString();
            } catch (RuntimeException e) {
                next = e.getClass().getSimpleName();
            }
            List<String> ledger = Ledger.read(store, url, database);
            System.out.printf("lease fault trial (%s, SIGKILL): killed after %d of %d steps; next run: %s; steps run: %d%n", store.id(),
                killAt, COUNT * STEPS, next, ledger.size());
            assertThat(next).isIn("MIGRATED", "UP_TO_DATE", "RepairRequiredException");
            Ledger.assertConsistent(ledger, history(), STEPS, "SIGKILL trial " + trial);
        }
    }
}
