package dev.tidemark.migration;

import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.ElasticEngine;
import dev.tidemark.elastic.ElasticHistoryStore;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.RepairRequiredException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.mongo.MongoEngine;
import dev.tidemark.mongo.MongoHistoryStore;
import dev.tidemark.postgres.PostgresEngine;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.testing.Ledger;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real server restart in the middle of a run: the store (its own instance, on its own data and a fixed port) is
 * stopped while a run migrates and started again on the same data and port. Over repeated trials per store: no step
 * runs twice, nothing half-applied is recorded as done, the run that was cut off answers with a typed error, and the
 * next run answers at once (PostgreSQL: migrates; MongoDB and Elasticsearch: migrates, or {@code RepairRequired} for
 * the migration the restart interrupted, after which the documented recovery, undo then migrate, brings every migration
 * in exactly once).
 */
class ServerRestartTest {

    private static final int COUNT = 6;
    private static final int STEPS = 10;
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final int TRIALS = 2;

    private Store store;
    private int port;
    private Path data;
    private AutoCloseable server;
    private String database;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void startServer() {
        server = switch (store) {
            case POSTGRES -> PostgresServer.start(data, port);
            case MONGODB -> MongoServer.start(data.resolve("mongo.mv"), port);
            case ELASTICSEARCH -> ElasticsearchServer.start(data, port);
        };
    }

    private void restart() throws Exception {
        server.close();
        Thread.sleep(300);
        startServer();
    }

    private String url() {
        return switch (store) {
            case POSTGRES -> "127.0.0.1:" + port;
            case MONGODB -> "mongodb://127.0.0.1:" + port;
            case ELASTICSEARCH -> "http://127.0.0.1:" + port;
        };
    }

    /** A fresh database (PostgreSQL, MongoDB) or empty history, lock and ledger (Elasticsearch). */
    private void reset() {
        database = TestServers.unique("restart");
        if (store == Store.POSTGRES) {
            ((PostgresServer) server).createDatabase(database);
            try (var c = java.sql.DriverManager.getConnection(((PostgresServer) server).jdbcUrl(database), "postgres", "x")) {
                c.createStatement().execute("CREATE SCHEMA faults; CREATE TABLE faults.ledger (m int NOT NULL, step int NOT NULL)");
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        } else if (store == Store.ELASTICSEARCH) {
            try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(url(), null, null, null))) {
                for (String index : List.of("tidemark_schema_history", "tidemark_lock", Ledger.ELASTIC_INDICES)) {
                    client.send("DELETE", "/" + index + "?ignore_unavailable=true", null);
                }
            }
        }
    }

    /** @return an engine with production's client settings: timeouts of five sixths of the lease, 5 s server selection */
    private MigrationEngine engine(Duration wait) {
        List<MigrationScript> scripts = Ledger.scripts(store, COUNT, STEPS);
        Duration commandTimeout = LEASE.multipliedBy(5).dividedBy(6);
        return switch (store) {
            case POSTGRES -> new PostgresEngine("app-db", new ConnectionSecrets.Postgres("127.0.0.1", port, database, "postgres", "x"), scripts,
                (int) wait.toSeconds());
            case MONGODB -> new MongoEngine("app-docs", EngineFactory.mongoClient(new ConnectionSecrets.Mongo(url(), database), commandTimeout),
                database, scripts, LEASE, wait);
            case ELASTICSEARCH -> new ElasticEngine("search", new ElasticClient(new ConnectionSecrets.Elastic(url(), null, null, null),
                commandTimeout), scripts, LEASE, wait);
        };
    }

    private Object migrate(Duration wait) {
        try (MigrationEngine e = engine(wait)) {
            return e.migrate(TargetVersion.LATEST, false);
        } catch (RuntimeException e) {
            return e;
        }
    }

    private List<AppliedMigration> history() {
        if (store == Store.POSTGRES) {
            try (MigrationEngine e = engine(Duration.ofSeconds(1))) {
                return e.info().applied();
            }
        }
        if (store == Store.MONGODB) {
            try (var client = com.mongodb.client.MongoClients.create(url())) {
                return new MongoHistoryStore(client.getDatabase(database)).read();
            }
        }
        try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(url(), null, null, null))) {
            return new ElasticHistoryStore(client, "search").read();
        }
    }

    private List<String> ledger() {
        return Ledger.read(store, url(), database);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mongodb", "elasticsearch"})
    void aServerRestartMidRunLeavesNothingHalfAppliedRecordedAsDoneAndTheNextRunAnswersAtOnce(String storeId, @TempDir Path dir)
        throws Exception {
        store = Store.of(storeId);
        data = dir.resolve("data");
        port = freePort();
        startServer();
        try {
            Random random = new Random();
            for (int trial = 1; trial <= TRIALS; trial++) {
                reset();
                int restartAt = 2 + random.nextInt(COUNT * STEPS - 12);
                CompletableFuture<Object> holder = CompletableFuture.supplyAsync(() -> migrate(Duration.ofSeconds(10)));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (ledger().size() < restartAt && !holder.isDone() && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                long t0 = System.nanoTime();
                restart();
                long down = (System.nanoTime() - t0) / 1_000_000;
                Object held = holder.get(90, TimeUnit.SECONDS);
                long t1 = System.nanoTime();
                Object next = migrate(Duration.ofSeconds(10));
                long nextMs = (System.nanoTime() - t1) / 1_000_000;
                // as the rollout's Retry does: a retryable answer (a store still recovering) is asked again after a pause
                List<String> retried = new java.util.ArrayList<>();
                for (int attempt = 0; attempt < 10 && next instanceof TidemarkException t && t.retryable(); attempt++) {
                    retried.add(describe(next));
                    Thread.sleep(2000);
                    next = migrate(Duration.ofSeconds(10));
                }
                List<String> ledger = ledger();
                System.out.printf("lease fault trial (%s, server restart): restarted after %d of %d steps, down %d ms; holder: %s; next run: %s"
                    + " after %d ms%s; steps run: %d%n", store.id(), restartAt, COUNT * STEPS, down, describe(held), describe(next), nextMs,
                    retried.isEmpty() ? "" : " (retried after " + retried + ")", ledger.size());
                assertThat(held).as("the run cut off by the restart fails with a typed error, or finished before it")
                    .satisfiesAnyOf(h -> assertThat(h).isInstanceOf(TidemarkException.class), h -> assertThat(h).isInstanceOf(MigrateResult.class));
                if (store == Store.POSTGRES && held instanceof TidemarkException e) {
                    assertThat(e.retryable()).as("PostgreSQL rolled the interrupted migration back: retrying is safe").isTrue();
                }
                Ledger.assertConsistent(ledger, history(), STEPS, "server restart trial " + trial);
                if (store == Store.POSTGRES) {
                    assertThat(next).as("the next run applies the rest").isInstanceOf(MigrateResult.class);
                } else {
                    assertThat(next).satisfiesAnyOf(n -> assertThat(n).isInstanceOf(MigrateResult.class),
                        n -> assertThat(n).isInstanceOf(RepairRequiredException.class));
                    if (next instanceof RepairRequiredException) {
                        recover();
                    }
                }
                assertThat(ledger()).as("after the recovery every step ran exactly once").hasSize(COUNT * STEPS).doesNotHaveDuplicates();
                assertThat(history()).filteredOn(AppliedMigration::success).filteredOn(r -> r.type().matches("SQL|JSON|HTTP"))
                    .hasSize(COUNT);
            }
        } finally {
            server.close();
        }
    }

    /** The README's recovery for a migration a fault interrupted: undo it (its undo migration cleans up), then migrate. */
    private void recover() {
        try (MigrationEngine e = engine(Duration.ofSeconds(10)).undoScripts(Ledger.undoScripts(store, COUNT))) {
            MigrationVersion failed = e.info().failed().getFirst().version();
            e.undo(MigrationVersion.parse(Integer.toString(Integer.parseInt(failed.toString()) - 1)), false);
            assertThat(e.info().failed()).isEmpty();
            assertThat(e.migrate(TargetVersion.LATEST, false).status()).isEqualTo(MigrateResult.Status.MIGRATED);
        }
    }

    private static String describe(Object o) {
        return o instanceof MigrateResult m ? m.status() + " (" + m.migrations().size() + " migrations)"
            : o.getClass().getSimpleName() + (o instanceof TidemarkException t && t.retryable() ? " (retryable)" : "");
    }
}
