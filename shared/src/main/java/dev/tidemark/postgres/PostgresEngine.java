package dev.tidemark.postgres;

import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.LockContentionException;
import dev.tidemark.error.MigrationFailedException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.AppliedMigration;
import dev.tidemark.migration.AppliedStep;
import dev.tidemark.migration.InfoResult;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.PendingMigration;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;
import dev.tidemark.secrets.ConnectionSecrets;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.ClassProvider;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.migration.JavaMigration;
import org.flywaydb.core.api.output.MigrateOutput;
import org.flywaydb.core.internal.exception.FlywayMigrateException;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PostgreSQL migrations run by Flyway: its SQL parser, placeholders, one transaction per migration, its
 * {@code flyway_schema_history} table and its advisory lock. A failing migration's transaction is rolled back and
 * nothing is recorded as applied. Tidemark adds: migrations read from any {@link dev.tidemark.location.Location},
 * a dry run, typed results and typed errors.
 */
public final class PostgresEngine implements MigrationEngine {

    private static final String STORE = Store.POSTGRES.id();

    private final String target;
    private final ConnectionSecrets.Postgres connection;
    private final List<MigrationScript> scripts;
    private final int lockWaitSeconds;
    private Map<String, String> placeholderValues;

    /**
     * @param target the target name, for results and messages
     * @param connection where to connect
     * @param scripts the resolved migrations ({@code .sql})
     * @param lockWaitSeconds how long to wait for Flyway's advisory lock, in seconds (retried once a second)
     */
    public PostgresEngine(String target, ConnectionSecrets.Postgres connection, List<MigrationScript> scripts, int lockWaitSeconds) {
        this.target = target;
        this.connection = connection;
        this.scripts = List.copyOf(scripts);
        this.lockWaitSeconds = lockWaitSeconds;
        this.placeholderValues = Placeholders.NONE.forTarget(Store.POSTGRES, target);
    }

    /**
     * @param placeholders values for Flyway's {@code ${name}} placeholders in this target's files
     * @return this engine
     */
    public PostgresEngine placeholders(Placeholders placeholders) {
        this.placeholderValues = placeholders.forTarget(Store.POSTGRES, target);
        return this;
    }

    private FluentConfiguration configure() {
        return Flyway.configure()
            .dataSource(connection.jdbcUrl(), connection.username(), connection.password())
            .resourceProvider(new ScriptResourceProvider(scripts))
            .placeholders(placeholderValues)
            .javaMigrationClassProvider(new NoJavaMigrations())
            .failOnMissingLocations(false)
            .cleanDisabled(true)
            .lockRetryCount(Math.max(1, lockWaitSeconds))
            // a session-level advisory lock: a transaction-level one keeps a transaction open that
            // CREATE INDEX CONCURRENTLY waits for forever
            .configuration(Map.of("flyway.postgresql.transactional.lock", "false"))
            .connectRetries(0);
    }

    @Override
    public InfoResult info() {
        return guard(() -> {
            List<AppliedMigration> rows = new ArrayList<>();
            for (MigrationInfo m : configure().load().info().all()) {
                if (m.getInstalledRank() == null) {
                    continue;
                }
                MigrationVersion v = m.getVersion() == null ? null : MigrationVersion.parse(m.getVersion().getVersion());
                boolean success = m.getState().isApplied() && !m.getState().isFailed();
                rows.add(new AppliedMigration(m.getInstalledRank(), v, m.getDescription(), m.getType().name(), m.getScript(),
                    m.getChecksum(), m.getInstalledBy(), m.getInstalledOn() == null ? null : m.getInstalledOn().toInstant(),
                    m.getExecutionTime() == null ? 0 : m.getExecutionTime(), success, null));
            }
            return InfoResult.of(Store.POSTGRES, target, scripts, rows, Set.of());
        });
    }

    @Override
    public MigrateResult migrate(TargetVersion targetVersion, boolean dryRun) {
        long start = System.nanoTime();
        InfoResult before = info();
        before.requireNoDrift();
        before.requireNotBelowCurrent(targetVersion);
        List<PendingMigration> wanted = before.pending().stream()
            .filter(p -> targetVersion.includes(p.version(), before.currentVersion()))
            .toList();
        for (PendingMigration p : wanted) {
            scripts.stream().filter(s -> s.version().equals(p.version())).forEach(s -> Placeholders.apply(s, placeholderValues));
        }
        if (dryRun) {
            return new MigrateResult(Store.POSTGRES, target, targetVersion.toString(), before.currentVersion(), before.currentVersion(),
                wanted.stream().map(p -> new AppliedStep(p.version(), p.description(), p.script(), 0)).toList(),
                MigrateResult.Status.DRY_RUN, elapsed(start));
        }
        FluentConfiguration config = configure();
        if (targetVersion.version() != null) {
            config.target(targetVersion.version().toString());
        } else {
            config.target(targetVersion.keyword());
        }
        org.flywaydb.core.api.output.MigrateResult result;
        try {
            result = guard(() -> config.load().migrate());
        } catch (FlywayMigrateException e) {
            MigrationInfo m = e.getMigration();
            String version = m == null || m.getVersion() == null ? "?" : m.getVersion().getVersion();
            String script = m == null ? "?" : m.getScript();
            throw new MigrationFailedException(STORE, target, version, script, rootMessage(e), e);
        }
        List<AppliedStep> steps = new ArrayList<>();
        for (MigrateOutput o : result.migrations) {
            steps.add(new AppliedStep(MigrationVersion.parse(o.version), o.description, fileName(o.filepath), o.executionTime));
        }
        MigrationVersion after = result.targetSchemaVersion == null ? before.currentVersion() : MigrationVersion.parse(result.targetSchemaVersion);
        return new MigrateResult(Store.POSTGRES, target, targetVersion.toString(), before.currentVersion(), after, steps,
            steps.isEmpty() ? MigrateResult.Status.UP_TO_DATE : MigrateResult.Status.MIGRATED, elapsed(start));
    }

    @Override
    public void baseline(MigrationVersion version, String description) {
        InfoResult info = info();
        if (!info.applied().isEmpty()) {
            throw new ValidationException("baseline: target '" + target + "' already has a schema history");
        }
        guard(() -> configure().baselineVersion(version.toString()).baselineDescription(description).load().baseline());
    }

    @Override
    public void ping() {
        try (var c = java.sql.DriverManager.getConnection(connection.jdbcUrl(), connection.username(), connection.password());
             var st = c.createStatement()) {
            st.execute("SELECT 1");
        } catch (SQLException e) {
            throw new ConnectionException("postgres target '" + target + "': cannot connect to " + connection.host() + ":" + connection.port()
                + ": " + firstLine(e.getMessage()), e);
        }
    }

    @Override
    public void close() {
        // Flyway opens and closes its connections per call.
    }

    private static String fileName(String path) {
        if (path == null) {
            return null;
        }
        int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
        return path.substring(slash + 1);
    }

    private static long elapsed(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private <T> T guard(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (FlywayMigrateException e) {
            throw e;
        } catch (TidemarkException e) {
            throw e;
        } catch (FlywayException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("advisory lock")) {
                throw new LockContentionException("postgres target '" + target + "': the migration lock (Flyway advisory lock) stayed held for "
                    + lockWaitSeconds + " s", e);
            }
            SQLException sql = findSql(e);
            if (sql != null && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                throw new ConnectionException("postgres target '" + target + "': cannot connect to " + connection.host() + ":" + connection.port()
                    + ": " + sql.getMessage(), e);
            }
            if (e.getClass().getSimpleName().contains("Validate")) {
                throw new ValidationException("postgres target '" + target + "': " + firstLine(message), e);
            }
            throw new ConnectionException("postgres target '" + target + "': " + firstLine(message), e);
        }
    }

    private static SQLException findSql(Throwable t) {
        while (t != null) {
            if (t instanceof SQLException s) {
                return s;
            }
            t = t.getCause();
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        SQLException sql = findSql(e);
        if (sql != null) {
            return firstLine(sql.getMessage()) + (sql.getSQLState() == null ? "" : " (SQL state " + sql.getSQLState() + ")");
        }
        return firstLine(e.getMessage());
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip();
    }

    private static final class NoJavaMigrations implements ClassProvider<JavaMigration> {
        @Override
        public Collection<Class<? extends JavaMigration>> getClasses() {
            return List.of();
        }
    }

}
