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

    private dev.tidemark.servers.PostgresServer pg;

    private void setUp(String storeId, MongoServer mongo, ElasticsearchServer elastic, dev.tidemark.servers.PostgresServer pg) {
        store = Store.of(storeId);
        this.pg = pg;
        database = TestServers.unique("fault");
        url = switch (store) {
            case MONGODB -> mongo.uri();
            case ELASTICSEARCH -> elastic.url();
            case POSTGRES -> "127.0.0.1:" + pg.port();
        };
        reset();
    }

    /** Elasticsearch has no databases: each trial starts from empty history, lock and ledger. */
    private void reset() {
        if (store == Store.ELASTICSEARCH) {
            try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null))) {
                for (String index : List.of("tidemark_schema_history", "tidemark_lock", Ledger.ELASTIC_INDICES)) {
                    client.send("DELETE", "/" + index + "?ignore_unavailable=true", null);
                }
            }
        } else {
            database = TestServers.unique("fault");
            if (store == Store.POSTGRES) {
                pg.createDatabase(database);
                try (var c = java.sql.DriverManager.getConnection(pg.jdbcUrl(database), "postgres", "x")) {
                    c.createStatement().execute("CREATE SCHEMA faults; CREATE TABLE faults.ledger (m int NOT NULL, step int NOT NULL)");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private MigrationEngine engine(Duration wait) {
        var scripts = Ledger.scripts(store, COUNT, STEPS);
        return switch (store) {
            case MONGODB -> new MongoEngine("app-docs", MongoClients.create(url), database, scripts, LEASE, wait);
            case ELASTICSEARCH -> new ElasticEngine("search", new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null)), scripts,
                LEASE, wait);
            case POSTGRES -> new dev.tidemark.postgres.PostgresEngine("app-db", new ConnectionSecrets.Postgres("127.0.0.1", pg.port(), database,
                "postgres", "x"), scripts, (int) wait.toSeconds());
        };
    }

    /** @return the status of a migrate run in this JVM, or the class name of its error */
    private String migrate(Duration wait) {
        try (MigrationEngine e = engine(wait)) {
            return e.migrate(TargetVersion.LATEST, false).status().toString();
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName();
        }
    }

    private List<AppliedMigration> history() {
        if (store == Store.POSTGRES) {
            try (MigrationEngine e = engine(Duration.ofSeconds(1))) {
                return e.info().applied();
            }
        }
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
        return holder(LEASE);
    }

    /** @param lease the holder's lease (PostgreSQL: its lock wait) */
    private Process holder(Duration lease) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
            "-XX:TieredStopAtLevel=1", "-Dlog4j2.level=WARN", "-cp", System.getProperty("java.class.path"), LeaseFaultHolder.class.getName(),
            store.id(), url, database, String.valueOf(COUNT), String.valueOf(STEPS), String.valueOf(lease.toMillis()))
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

    /** Signals the holder; one that has already finished its run (a fast machine) cannot be signalled, and need not be. */
    private static void signal(Process p, String signal) throws Exception {
        int exit = new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor();
        assertThat(exit == 0 || !p.isAlive()).as("kill -%s of a running holder", signal).isTrue();
    }

    private static String rest(BufferedReader out) throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("result ") || line.startsWith("error ") || line.startsWith("message ")) {
                lines.add(line);
            }
        }
        return String.join("; ", lines);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mongodb", "elasticsearch"})
    void aHolderStoppedPastItsLeaseWhileFourRunsCompeteNeverRunsAStepTwice(String storeId, MongoServer mongo, ElasticsearchServer elastic,
                                                                           dev.tidemark.servers.PostgresServer pg) throws Exception {
        setUp(storeId, mongo, elastic, pg);
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
                runs.add(CompletableFuture.supplyAsync(() -> migrate(Duration.ofSeconds(20))));
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
            assertThat(held).doesNotContain("result UP_TO_DATE");
            assertThat(outcomes.stream().filter(o -> o.equals("MIGRATED")).count()).as("at most one run applies the rest").isLessThanOrEqualTo(1);
            Ledger.assertConsistent(ledger, history(), STEPS, "SIGSTOP trial " + trial);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mongodb", "elasticsearch", "postgres"})
    void aHolderKilledMidRunLeavesNoHalfAppliedMigrationRecordedAsDone(String storeId, MongoServer mongo, ElasticsearchServer elastic,
                                                                       dev.tidemark.servers.PostgresServer pg) throws Exception {
        setUp(storeId, mongo, elastic, pg);
        Random random = new Random();
        for (int trial = 1; trial <= TRIALS; trial++) {
            reset();
            int killAt = 1 + random.nextInt(COUNT * STEPS - 1);
            Process p = holder();
            waitUntilRunning(p, killAt);
            signal(p, "KILL");
            p.waitFor(30, TimeUnit.SECONDS);
            String next = migrate(Duration.ofSeconds(20));
            List<String> ledger = Ledger.read(store, url, database);
            System.out.printf("lease fault trial (%s, SIGKILL): killed after %d of %d steps; next run: %s; steps run: %d%n", store.id(),
                killAt, COUNT * STEPS, next, ledger.size());
            assertThat(next).isIn(store == Store.POSTGRES ? List.of("MIGRATED", "UP_TO_DATE")
                : List.of("MIGRATED", "UP_TO_DATE", "RepairRequiredException"));
            Ledger.assertConsistent(ledger, history(), STEPS, "SIGKILL trial " + trial);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mongodb", "elasticsearch", "postgres"})
    void eightRunsInTheirOwnJvmsApplyEachStepOnce(String storeId, MongoServer mongo, ElasticsearchServer elastic,
                                                  dev.tidemark.servers.PostgresServer pg) throws Exception {
        setUp(storeId, mongo, elastic, pg);
        List<Process> runs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            runs.add(holder(Duration.ofSeconds(30)));
        }
        List<String> outcomes = new ArrayList<>();
        for (Process p : runs) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            outcomes.add(rest(out));
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        }
        System.out.printf("lease fault trial (%s, eight JVMs): %s%n", store.id(), outcomes);
        assertThat(outcomes).allMatch(o -> o.matches("result (MIGRATED|UP_TO_DATE) \\d+"));
        assertThat(outcomes.stream().mapToInt(o -> Integer.parseInt(o.substring(o.lastIndexOf(' ') + 1))).sum())
            .as("every migration is applied by exactly one run (Flyway takes its lock per migration, the lease is held for a whole run)")
            .isEqualTo(COUNT);
        if (store != Store.POSTGRES) {
            assertThat(outcomes.stream().filter(o -> o.startsWith("result MIGRATED"))).as("one run holds the lease throughout").hasSize(1);
        }
        List<String> ledger = Ledger.read(store, url, database);
        assertThat(ledger).hasSize(COUNT * STEPS);
        Ledger.assertConsistent(ledger, history(), STEPS, "eight JVMs");
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres"})
    void aStoppedPostgresHolderKeepsFlywaysLockAndFinishesWhenResumed(String storeId, MongoServer mongo, ElasticsearchServer elastic,
                                                                      dev.tidemark.servers.PostgresServer pg) throws Exception {
        setUp(storeId, mongo, elastic, pg);
        Process p = holder(Duration.ofSeconds(30));
        BufferedReader out = waitUntilRunning(p, 1 + new Random().nextInt(COUNT * STEPS / 2));
        signal(p, "STOP");
        String other = migrate(Duration.ofSeconds(2));
        signal(p, "CONT");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String held = rest(out);
        System.out.printf("lease fault trial (postgres, SIGSTOP): holder: %s; other run: %s%n", held, other);
        assertThat(other).as("a live session keeps the advisory lock: the other run waits, retryably").isEqualTo("LockContentionException");
        assertThat(held).startsWith("result MIGRATED");
        Ledger.assertConsistent(Ledger.read(store, url, database), history(), STEPS, "postgres SIGSTOP");
    }
}
