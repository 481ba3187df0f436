package dev.tidemark.migration;

import dev.tidemark.postgres.PostgresEngine;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(ServersExtension.class)
class PostgresEngineTest extends MigrationEngineContract {

    private PostgresServer server;
    private String database;

    @BeforeEach
    void freshDatabase(PostgresServer server) {
        this.server = server;
        database = TestServers.unique("pg");
        server.createDatabase(database);
    }

    private ConnectionSecrets.Postgres connection() {
        return new ConnectionSecrets.Postgres("127.0.0.1", server.port(), database, "postgres", "unused-password");
    }

    @Override
    protected MigrationEngine engine(List<MigrationScript> scripts) {
        return new PostgresEngine("app-db", connection(), scripts, 30);
    }

    @Override
    protected Store store() {
        return Store.POSTGRES;
    }

    @Override
    protected String createThing(int n) {
        return "CREATE TABLE thing_" + n + " (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());\n"
            + "INSERT INTO thing_" + n + " (id) VALUES (" + n + ");";
    }

    @Override
    protected String dropThing(int n) {
        return "DROP TABLE thing_" + n + ";";
    }

    @Override
    protected String dropPartial() {
        return "DROP TABLE IF EXISTS partial;";
    }

    @Override
    protected String failingAfterFirstStep() {
        return "CREATE TABLE partial (id int);\nSELECT * FROM no_such_table;";
    }

    @Override
    protected boolean exists(String name) {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(database), "postgres", "x");
             var rs = c.createStatement().executeQuery("SELECT to_regclass('public." + name + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void assertAftermathOfFailedMigration(MigrationEngine engine) {
        assertThat(exists("partial")).as("the failed migration's transaction is rolled back").isFalse();
        assertThat(engine.info().applied()).as("nothing is recorded for the failed migration").hasSize(1);
        assertThat(engine.info().failed()).isEmpty();
    }

    @Test
    void aMigrateWaitingLongerThanTheLockWaitFailsWithLockContention() throws Exception {
        List<MigrationScript> slow = List.of(script(1, "SELECT pg_sleep(4);\n" + createThing(1)));
        var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            var first = pool.submit(() -> {
                try (MigrationEngine engine = engine(slow)) {
                    return engine.migrate(TargetVersion.LATEST, false);
                }
            });
            Thread.sleep(800);
            try (MigrationEngine impatient = new PostgresEngine("app-db", connection(), slow, 1)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> impatient.migrate(TargetVersion.LATEST, false))
                    .isInstanceOf(dev.tidemark.error.LockContentionException.class)
                    .hasMessageContaining("advisory lock")
                    .satisfies(e -> assertThat(((dev.tidemark.error.TidemarkException) e).retryable()).isTrue());
            }
            assertThat(first.get().migrations()).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCreateIndexConcurrentlyMigrationRunsOutsideATransaction() {
        List<MigrationScript> scripts = List.of(script(1, createThing(1)),
            script(2, "CREATE INDEX CONCURRENTLY thing_1_created_at_idx ON thing_1 (created_at);"));
        try (MigrationEngine engine = engine(scripts)) {
            assertThat(engine.migrate(TargetVersion.LATEST, false).versionAfter()).hasToString("2");
        }
        assertThat(exists("thing_1_created_at_idx")).isTrue();
    }

    @Test
    void anIndexLeftByAnInterruptedCreateIndexConcurrentlyIsNamedWithTheVersionAndTheWayOut() throws Exception {
        List<MigrationScript> scripts = List.of(script(1, createThing(1)),
            script(2, "-- built without a lock\nCREATE INDEX CONCURRENTLY thing_1_created_at_idx ON thing_1 (created_at);"));
        try (MigrationEngine engine = engine(scripts.subList(0, 1))) {
            engine.migrate(TargetVersion.LATEST, false);
        }
        // what a build killed mid-way leaves: the index exists, the history does not know version 2
        try (var c = java.sql.DriverManager.getConnection(connection().jdbcUrl(), "postgres", "");
             var st = c.createStatement()) {
            st.execute("CREATE INDEX thing_1_created_at_idx ON thing_1 (created_at)");
            st.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'thing_1_created_at_idx'::regclass");
        }
        try (MigrationEngine engine = engine(scripts)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(dev.tidemark.error.ValidationException.class)
                .hasMessageContaining("migration 2 (V2__thing_2.sql) creates index thing_1_created_at_idx, which already exists (invalid)")
                .hasMessageContaining("DROP INDEX CONCURRENTLY thing_1_created_at_idx");
            assertThat(engine.info().currentVersion()).hasToString("1");
            assertThat(engine.info().failed()).isEmpty();
        }
    }

    @Test
    void aNonEmptySchemaWithoutHistoryIsAValidationErrorPointingToBaseline() throws Exception {
        try (var c = java.sql.DriverManager.getConnection(connection().jdbcUrl(), "postgres", "");
             var st = c.createStatement()) {
            st.execute("CREATE TABLE legacy (id int)");
        }
        try (MigrationEngine engine = engine(things(1))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(dev.tidemark.error.ValidationException.class).hasMessageContaining("baseline")
                .satisfies(e -> assertThat(((dev.tidemark.error.TidemarkException) e).retryable()).isFalse());
        }
    }

    /**
     * The network freeze of the lease fault tests, on PostgreSQL: a holder cut off (every byte held) inside a migration
     * keeps Flyway's advisory lock while its session lives, so a competing run waits and gets the retryable
     * {@code LockContention}, never a takeover; cut off between two migrations (Flyway locks per migration), the other
     * run applies the rest. When the network returns the holder finishes; every migration is applied by exactly one run,
     * each step once.
     */
    @org.junit.jupiter.api.RepeatedTest(2)
    void aHolderCutOffKeepsFlywaysLockSoOthersWaitRetryablyAndItFinishesWhenTheNetworkReturns() throws Exception {
        int count = 8;
        int steps = 12;
        try (var c = java.sql.DriverManager.getConnection(server.jdbcUrl(database), "postgres", "x")) {
            c.createStatement().execute("CREATE SCHEMA faults; CREATE TABLE faults.ledger (m int NOT NULL, step int NOT NULL)");
        }
        List<MigrationScript> scripts = dev.tidemark.testing.Ledger.scripts(Store.POSTGRES, count, steps);
        int freezeAt = 1 + new java.util.Random().nextInt(count * steps / 2);
        Object holder;
        Object other;
        try (dev.tidemark.testing.FreezingProxy proxy = new dev.tidemark.testing.FreezingProxy("127.0.0.1", server.port())) {
            var run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (MigrationEngine e = new PostgresEngine("app-db", new ConnectionSecrets.Postgres("127.0.0.1", proxy.port(), database, "postgres",
                    "unused-password"), scripts, 30)) {
                    return (Object) e.migrate(TargetVersion.LATEST, false);
                } catch (RuntimeException e) {
                    return e;
                }
            });
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (ledger().size() < freezeAt && !run.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            proxy.freeze();
            try (MigrationEngine e = new PostgresEngine("app-db", connection(), scripts, 2)) {
                other = e.migrate(TargetVersion.LATEST, false);
            } catch (RuntimeException e) {
                other = e;
            }
            proxy.thaw();
            holder = run.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        List<String> ledger = ledger();
        System.out.printf("lease fault trial (postgres, network freeze): cut off after %d of %d steps; holder: %s; other run: %s; steps run: %d%n",
            freezeAt, count * steps, describe(holder), describe(other), ledger.size());
        assertThat(holder).as("the holder finishes when the network returns").isInstanceOf(MigrateResult.class);
        int applied = ((MigrateResult) holder).migrations().size();
        if (other instanceof MigrateResult m) {
            // cut off between two migrations (Flyway takes its lock per migration): the other run applied the rest
            applied += m.migrations().size();
        } else {
            assertThat(other).as("cut off inside a migration: the live session keeps the lock, the other run waits, retryably")
                .isInstanceOf(dev.tidemark.error.LockContentionException.class);
            assertThat(((dev.tidemark.error.TidemarkException) other).retryable()).isTrue();
        }
        assertThat(applied).as("every migration applied by exactly one of the two runs").isEqualTo(count);
        assertThat(ledger).hasSize(count * steps);
        try (MigrationEngine e = engine(scripts)) {
            dev.tidemark.testing.Ledger.assertConsistent(ledger, e.info().applied(), steps, "postgres network freeze");
        }
    }

    private static String describe(Object o) {
        return o instanceof MigrateResult m ? m.status() + " (" + m.migrations().size() + " migrations)" : o.getClass().getSimpleName();
    }

    private List<String> ledger() {
        return dev.tidemark.testing.Ledger.read(Store.POSTGRES, "127.0.0.1:" + server.port(), database);
    }

    @Test
    void aConnectionLostMidMigrationIsRetryableRecordsNothingAndTheRerunAppliesIt() throws Exception {
        List<MigrationScript> scripts = List.of(script(1, createThing(1)), script(2, "SELECT pg_sleep(3);\n" + createThing(2)));
        Object first;
        try (dev.tidemark.testing.FreezingProxy proxy = new dev.tidemark.testing.FreezingProxy("127.0.0.1", server.port())) {
            var run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (MigrationEngine e = new PostgresEngine("app-db", new ConnectionSecrets.Postgres("127.0.0.1", proxy.port(), database, "postgres",
                    "unused-password"), scripts, 30)) {
                    return (Object) e.migrate(TargetVersion.LATEST, false);
                } catch (RuntimeException e) {
                    return e;
                }
            });
            Thread.sleep(1500); // inside V2's pg_sleep
            proxy.resetAll();
            first = run.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(first).isInstanceOf(dev.tidemark.error.ConnectionException.class);
        assertThat(((dev.tidemark.error.TidemarkException) first).retryable()).isTrue();
        assertThat(((Throwable) first).getMessage()).contains("migration 2 (V2__thing_2.sql) did not complete").contains("rolled back")
            .doesNotContain("127.0.0.1");
        try (MigrationEngine rerun = engine(scripts)) {
            assertThat(rerun.info().failed()).isEmpty();
            assertThat(rerun.migrate(TargetVersion.LATEST, false).versionAfter()).hasToString("2");
        }
        assertThat(exists("thing_2")).isTrue();
    }

    @Test
    void checksumsAreTheOnesFlywayRecords() {
        List<MigrationScript> scripts = things(1);
        try (MigrationEngine engine = engine(scripts)) {
            engine.migrate(TargetVersion.LATEST, false);
            assertThat(engine.info().applied().getFirst().checksum()).isEqualTo(scripts.getFirst().checksum());
        }
    }

    private org.flywaydb.core.Flyway flyway(List<MigrationScript> scripts, int lockRetries) throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("flyway");
        for (MigrationScript s : scripts) {
            java.nio.file.Files.writeString(dir.resolve(s.script()), s.content());
        }
        return org.flywaydb.core.Flyway.configure().dataSource(server.jdbcUrl(database), "postgres", "x")
            .locations("filesystem:" + dir).lockRetryCount(lockRetries)
            .configuration(java.util.Map.of("flyway.postgresql.transactional.lock", "false")).load();
    }

    @Test
    void afterAnUndoFlywaysOwnInfoShowsTheVersionDeletedAndPendingAndValidateStillWorks() throws Exception {
        try (MigrationEngine engine = engine(things(3)).undoScripts(undoThings(1, 3))) {
            engine.migrate(TargetVersion.LATEST, false);
            engine.undo(MigrationVersion.parse("2"), false);
        }
        org.flywaydb.core.Flyway flyway = flyway(things(3), 1);
        assertThat(flyway.info().current().getVersion().getVersion()).isEqualTo("2");
        assertThat(flyway.info().all()).extracting(m -> m.getVersion().getVersion() + " " + m.getState())
            .contains("3 DELETED", "3 PENDING");
        assertThat(flyway.validateWithResult().invalidMigrations).extracting(o -> o.version).containsExactly("3");
        assertThat(org.flywaydb.core.Flyway.configure().configuration(flyway.getConfiguration())
            .ignoreMigrationPatterns("*:pending").load().validateWithResult().validationSuccessful).isTrue();
        assertThat(flyway.migrate().migrationsExecuted).isEqualTo(1);
        assertThat(exists("thing_3")).isTrue();
    }

    @Test
    void undoTakesFlywaysOwnAdvisoryLockSoAFlywayMigrateWaitsForIt() throws Exception {
        try (MigrationEngine engine = engine(things(1)).undoScripts(List.of(undo(1, "SELECT pg_sleep(3);\n" + dropThing(1))))) {
            engine.migrate(TargetVersion.LATEST, false);
            var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                var undoing = pool.submit(() -> engine.undo(null, false));
                Thread.sleep(1000);
                org.flywaydb.core.Flyway flyway = flyway(things(1), 1);
                org.assertj.core.api.Assertions.assertThatThrownBy(flyway::migrate).hasMessageContaining("advisory lock");
                assertThat(undoing.get().status()).isEqualTo(MigrateResult.Status.UNDONE);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aFailedNonTransactionalMigrationIsRemovedByRepair() {
        List<MigrationScript> broken = List.of(script(1, createThing(1)),
            script(2, "CREATE INDEX CONCURRENTLY broken_idx ON no_such_table (id);"));
        try (MigrationEngine engine = engine(broken)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(dev.tidemark.error.MigrationFailedException.class);
            assertThat(engine.info().failed()).extracting(a -> a.version().toString()).containsExactly("2");
            assertThat(engine.repair(false).removedFailed()).hasSize(1);
            assertThat(engine.info().failed()).isEmpty();
            assertThat(engine.info().pending()).extracting(p -> p.version().toString()).containsExactly("2");
        }
    }
}
