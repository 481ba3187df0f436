package dev.tidemark.postgres;

import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.LockContentionException;
import dev.tidemark.error.MigrationFailedException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.AppliedMigration;
import dev.tidemark.migration.AppliedStep;
import dev.tidemark.migration.ChecksumDrift;
import dev.tidemark.migration.RepairResult;
import dev.tidemark.migration.UndoPlan;
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
import org.flywaydb.core.api.CoreErrorCode;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
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
    /** Flyway's default history table name. */
    private static final String HISTORY_TABLE = "flyway_schema_history";

    private final String target;
    private final ConnectionSecrets.Postgres connection;
    private final List<MigrationScript> scripts;
    private final int lockWaitSeconds;
    private Map<String, String> placeholderValues;
    private int lockTimeoutMillis = dev.tidemark.config.TidemarkConfig.DEFAULT_LOCK_TIMEOUT_MILLIS;
    private List<MigrationScript> undoScripts = List.of();
    private String defaultSchema;

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

    /**
     * @param millis PostgreSQL's {@code lock_timeout} for every statement of a transactional migration and every backfill
     *               batch, in milliseconds (a migration that cannot run in a transaction, {@code ... CONCURRENTLY}, waits
     *               without one: it does not block the application while it waits)
     * @return this engine
     */
    public PostgresEngine lockTimeout(int millis) {
        this.lockTimeoutMillis = millis;
        return this;
    }

    /** Back-off between the attempts of a migration cancelled by its {@code lock_timeout}, in milliseconds. */
    private static final long[] LOCK_BACKOFF_MILLIS = {500, 1000, 2000, 4000};

    /**
     * Sets {@code lock_timeout} before each migration, on the connection Flyway runs it on: the engine's timeout for a
     * migration whose statements all run in a transaction, none for one that cannot ({@code CREATE INDEX CONCURRENTLY}
     * waits for older transactions by design, and a timeout would leave an invalid index behind).
     */
    private final class LockTimeout extends org.flywaydb.core.api.callback.BaseCallback {
        @Override
        public void handle(org.flywaydb.core.api.callback.Event event, org.flywaydb.core.api.callback.Context context) {
            if (event != org.flywaydb.core.api.callback.Event.BEFORE_EACH_MIGRATE || context.getMigrationInfo() == null) {
                return;
            }
            String script = context.getMigrationInfo().getScript();
            boolean transactional = scripts.stream().filter(x -> x.script().equals(fileName(script))).findFirst()
                .map(x -> resolvedStatements(x).stream().allMatch(SqlStatements.Statement::transactional)).orElse(true);
            try (Statement st = context.getConnection().createStatement()) {
                st.execute("SET lock_timeout = " + (transactional ? lockTimeoutMillis : 0));
            } catch (SQLException e) {
                throw new FlywayException("lock_timeout could not be set", e);
            }
        }
    }

    private FluentConfiguration configure() {
        return Flyway.configure()
            .dataSource(connection.jdbcUrl(), connection.username(), connection.password())
            .resourceProvider(new ScriptResourceProvider(scripts))
            .placeholders(placeholderValues)
            .javaMigrationClassProvider(new NoJavaMigrations())
            .callbacks(new LockTimeout())
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
        try (Connection c = connect()) {
            return InfoResult.of(Store.POSTGRES, target, scripts, readHistory(c, historyTable(c)), Set.of());
        } catch (SQLException e) {
            throw sqlFailure(e);
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(connection.jdbcUrl(), connection.username(), connection.password());
    }

    /**
     * Leaves the schema history writable by its owner (the migrator) alone: revokes {@code INSERT}, {@code UPDATE},
     * {@code DELETE}, {@code TRUNCATE}, {@code REFERENCES} and {@code TRIGGER} on it from every other role, as the
     * migrator's default privileges may have granted them to the loader when Flyway created the table. Role names come
     * from the catalog, quoted by the server. A failure is logged, not raised: the migration itself has succeeded.
     */
    private void protectHistory() {
        try (Connection c = connect()) {
            List<String> revokes = new ArrayList<>();
            try (var ps = c.prepareStatement("SELECT format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE %s FROM %s', "
                + "k.oid::regclass, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END) "
                + "FROM pg_class k, aclexplode(k.relacl) a WHERE k.oid = to_regclass(?) AND a.grantee <> k.relowner "
                + "AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER') GROUP BY k.oid, a.grantee")) {
                ps.setString(1, historyTable(c));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        revokes.add(rs.getString(1));
                    }
                }
            }
            try (Statement st = c.createStatement()) {
                for (String revoke : revokes) {
                    st.execute(revoke);
                }
            }
        } catch (SQLException e) {
            org.slf4j.LoggerFactory.getLogger(PostgresEngine.class).warn("{}: could not withhold the schema history from other roles: {}", target,
                SqlStates.describe(e));
        }
    }

    /** {@code CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name}: the statement an interruption leaves half done. */
    private static final java.util.regex.Pattern CONCURRENT_INDEX = java.util.regex.Pattern.compile(
        "(?is)^\\s*CREATE\\s+(UNIQUE\\s+)?INDEX\\s+CONCURRENTLY\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_$]*)");

    /**
     * Refuses a pending migration whose {@code CREATE INDEX CONCURRENTLY} index already exists while the history does not
     * record the migration: an interrupted build (a killed run, a lost connection) leaves it behind, valid or invalid, and
     * Flyway would fail on it with "already exists" and no hint.
     *
     * @throws ValidationException naming the version, the script, the index, whether it is valid, and the way out
     */
    private void refuseLeftoverIndexes(PendingMigration p, List<SqlStatements.Statement> statements) {
        for (SqlStatements.Statement st : statements) {
            java.util.regex.Matcher m = CONCURRENT_INDEX.matcher(st.sql().replaceFirst("(?s)^(\\s*--[^\n]*\n)*", ""));
            if (!m.find() || m.group(2) != null) {
                continue;
            }
            String name = m.group(3).startsWith("\"") ? m.group(3).substring(1, m.group(3).length() - 1) : m.group(3).toLowerCase(java.util.Locale.ROOT);
            try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT i.indisvalid FROM pg_class k JOIN pg_index i "
                + "ON i.indexrelid = k.oid WHERE k.relname = ? AND k.relnamespace = current_schema()::regnamespace")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        boolean valid = rs.getBoolean(1);
                        throw new ValidationException("postgres target '" + target + "': migration " + p.version() + " (" + p.script() + ") creates index "
                            + name + ", which already exists (" + (valid ? "valid" : "invalid") + ") although the history does not record "
                            + p.version() + ": a CREATE INDEX CONCURRENTLY was interrupted. Drop it (DROP INDEX CONCURRENTLY " + name
                            + ") and migrate again" + (valid ? ", or keep it and record the version with a baseline" : ""));
                    }
                }
            } catch (SQLException e) {
                throw sqlFailure(e);
            }
        }
    }

    /** @return Flyway's history table in the connection's current schema, quoted as Flyway prints it */
    private String historyTable(Connection c) throws SQLException {
        return "\"" + defaultSchema(c) + "\".\"" + HISTORY_TABLE + "\"";
    }

    /** @return the connection's current schema (Flyway's default schema), read once */
    private String defaultSchema(Connection c) throws SQLException {
        if (defaultSchema == null) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_schema()")) {
                rs.next();
                defaultSchema = rs.getString(1);
            }
        }
        return defaultSchema;
    }

    private static List<AppliedMigration> readHistory(Connection c, String table) throws SQLException {
        List<AppliedMigration> rows = new ArrayList<>();
        try (PreparedStatement exists = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            exists.setString(1, table);
            try (ResultSet rs = exists.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return rows;
                }
            }
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT installed_rank, version, description, type, script,"
            + " checksum, installed_by, installed_on, execution_time, success FROM " + table + " ORDER BY installed_rank")) {
            while (rs.next()) {
                String version = rs.getString(2);
                Integer checksum = (Integer) rs.getObject(6);
                Timestamp on = rs.getTimestamp(8);
                rows.add(new AppliedMigration(rs.getInt(1), version == null ? null : MigrationVersion.parse(version), rs.getString(3),
                    rs.getString(4), rs.getString(5), checksum, rs.getString(7), on == null ? null : on.toInstant(), rs.getLong(9),
                    rs.getBoolean(10), null));
            }
        }
        return rows;
    }

    @Override
    public MigrateResult migrate(TargetVersion targetVersion, boolean dryRun) {
        long start = System.nanoTime();
        InfoResult before = info();
        before.requireNoDrift();
        before.requireNotBelowCurrent(targetVersion);
        List<AppliedStep> earlier = dryRun ? null : dev.tidemark.migration.Backfills.completeBefore(this, scripts, before, targetVersion);
        if (earlier != null) {
            return migrate(targetVersion, false).after(earlier, before.currentVersion(), elapsed(start));
        }
        List<PendingMigration> wanted = before.pending().stream()
            .filter(p -> targetVersion.includes(p.version(), before.currentVersion()))
            .toList();
        List<AppliedStep> plan = new ArrayList<>();
        for (PendingMigration p : wanted) {
            MigrationScript s = scripts.stream().filter(x -> x.version().equals(p.version())).findFirst().orElseThrow();
            if (dryRun) {
                plan.add(new AppliedStep(p.version(), p.description(), p.script(), 0, sql(resolvedStatements(s))));
            } else {
                Placeholders.apply(s, placeholderValues); // a placeholder without a value is refused before anything runs
                refuseLeftoverIndexes(p, resolvedStatements(s));
            }
        }
        if (dryRun) {
            return new MigrateResult(Store.POSTGRES, target, targetVersion.toString(), before.currentVersion(), before.currentVersion(),
                plan, MigrateResult.Status.DRY_RUN, elapsed(start));
        }
        FluentConfiguration config = configure();
        if (targetVersion.version() != null) {
            config.target(targetVersion.version().toString());
        } else {
            config.target(targetVersion.keyword());
        }
        org.flywaydb.core.api.output.MigrateResult result;
        List<MigrateOutput> ran = new ArrayList<>();
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    result = config.load().migrate();
                    ran.addAll(result.migrations);
                    break;
                } catch (FlywayException e) {
                    SQLException sql = findSql(e);
                    if (sql == null || !"55P03".equals(sql.getSQLState()) || failedRecordExists()) {
                        throw e;
                    }
                    // cancelled by lock_timeout: the transaction was rolled back and nothing recorded; the application's
                    // queries that queued behind it have run; wait and try again
                    if (attempt == LOCK_BACKOFF_MILLIS.length) {
                        throw new LockContentionException("postgres target '" + target + "': a migration waited longer than lock_timeout ("
                            + lockTimeoutMillis + " ms) for a lock, " + (attempt + 1) + " times; its transaction was rolled back each time", e);
                    }
                    ran.addAll(appliedSince(before.currentVersion(), ran));
                    sleep(LOCK_BACKOFF_MILLIS[attempt]);
                }
            }
        } catch (FlywayException e) {
            TidemarkException classified = flywayFailure(e);
            if (classified instanceof ValidationException || classified instanceof LockContentionException) {
                throw classified;
            }
            // a migration failed: Flyway rolled it back (or recorded it failed, without a transaction), so it is the first
            // one not applied
            MigrationInfo[] pending = guard(() -> configure().target(config.getTarget()).load().info().pending());
            MigrationInfo[] failed = java.util.Arrays.stream(guard(() -> configure().load().info().all()))
                .filter(i -> i.getState() != null && i.getState().isFailed()).toArray(MigrationInfo[]::new);
            MigrationInfo m = failed.length > 0 ? failed[0] : pending.length > 0 ? pending[0] : null;
            if (m == null) {
                throw classified;
            }
            String version = m == null || m.getVersion() == null ? "?" : m.getVersion().getVersion();
            String script = m == null ? "?" : m.getScript();
            SQLException sql = findSql(e);
            if (sql != null && SqlStates.transientState(sql.getSQLState())) {
                throw new ConnectionException("postgres target '" + target + "': migration " + version + " (" + script + ") did not complete: "
                    + SqlStates.describe(sql) + "; its transaction was rolled back", e);
            }
            throw new MigrationFailedException(STORE, target, version, script, rootMessage(e), e);
        }
        protectHistory();
        List<AppliedStep> steps = new ArrayList<>();
        for (MigrateOutput o : ran) {
            steps.add(new AppliedStep(MigrationVersion.parse(o.version), o.description, fileName(o.filepath), o.executionTime));
        }
        MigrationVersion after = result.targetSchemaVersion == null ? before.currentVersion() : MigrationVersion.parse(result.targetSchemaVersion);
        return new MigrateResult(Store.POSTGRES, target, targetVersion.toString(), before.currentVersion(), after, steps,
            steps.isEmpty() ? MigrateResult.Status.UP_TO_DATE : MigrateResult.Status.MIGRATED, elapsed(start));
    }

    /**
     * @param s a migration or undo migration
     * @return its statements as Flyway's parser splits them, the user's placeholders and Flyway's own replaced
     */
    private List<SqlStatements.Statement> resolvedStatements(MigrationScript s) {
        String content = Placeholders.apply(s, placeholderValues);
        content = Placeholders.apply(new MigrationScript(s.version(), s.description(), s.script(), content, s.checksum()), flywayValues(s));
        return SqlStatements.split(s.script(), content);
    }

    private static List<String> sql(List<SqlStatements.Statement> statements) {
        return statements.stream().map(SqlStatements.Statement::sql).toList();
    }

    /** Flyway's built-in placeholders that Tidemark itself must resolve when it runs or shows SQL (Flyway docs). */
    private Map<String, String> flywayValues(MigrationScript s) {
        Map<String, String> v = new java.util.HashMap<>();
        v.put("flyway:defaultSchema", defaultSchema());
        v.put("flyway:user", connection.username());
        v.put("flyway:database", connection.database());
        v.put("flyway:table", HISTORY_TABLE);
        v.put("flyway:filename", s.script());
        v.put("flyway:timestamp", java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")));
        v.put("flyway:workingDirectory", System.getProperty("user.dir"));
        return v;
    }

    private String defaultSchema() {
        if (defaultSchema == null) {
            try (Connection c = connect()) {
                return defaultSchema(c);
            } catch (SQLException e) {
                throw sqlFailure(e);
            }
        }
        return defaultSchema;
    }

    /** Backfill migrations: {@link PostgresBackfill}, with this engine's {@code lock_timeout}. */
    @Override
    public dev.tidemark.migration.Backfills backfills() {
        PostgresBackfill runner = new PostgresBackfill(target, connection, lockTimeoutMillis);
        return new dev.tidemark.migration.Backfills() {
            @Override
            public boolean declares(MigrationScript script) {
                return PostgresBackfill.declared(script).isPresent();
            }

            @Override
            public dev.tidemark.migration.BackfillProgress run(MigrationScript script, java.util.function.BooleanSupplier outOfTime) {
                return runner.run(script, PostgresBackfill.declared(script).orElseThrow(), outOfTime);
            }

            @Override
            public boolean finished(MigrationScript script) {
                return runner.finished(script.version().toString());
            }

            @Override
            public void forget(MigrationScript script) {
                runner.forget(script.version().toString());
            }
        };
    }

    @Override
    public PostgresEngine undoScripts(List<MigrationScript> undo) {
        this.undoScripts = List.copyOf(undo);
        return this;
    }

    @Override
    public MigrateResult undo(MigrationVersion to, boolean dryRun) {
        long start = System.nanoTime();
        InfoResult before = info();
        UndoPlan plan = UndoPlan.of(before, undoScripts, to);
        Map<MigrationVersion, List<SqlStatements.Statement>> parsed = new java.util.HashMap<>();
        for (UndoPlan.Step step : plan.steps()) {
            parsed.put(step.version(), resolvedStatements(step.undo()));
        }
        if (dryRun) {
            return plan.dryRun(before, step -> sql(parsed.get(step.version())), elapsed(start));
        }
        if (plan.steps().isEmpty()) {
            return plan.upToDate(before, elapsed(start));
        }
        List<AppliedStep> done = new ArrayList<>();
        try (Connection c = connect()) {
            String table = historyTable(c);
            withFlywayLock(c, table, () -> {
                UndoPlan locked = UndoPlan.of(InfoResult.of(Store.POSTGRES, target, scripts, readHistory(c, table), Set.of()), undoScripts, to);
                for (UndoPlan.Step step : locked.steps()) {
                    List<SqlStatements.Statement> statements = parsed.computeIfAbsent(step.version(), v -> resolvedStatements(step.undo()));
                    done.add(runUndo(c, table, step, statements));
                }
                return null;
            });
        } catch (SQLException e) {
            throw sqlFailure(e);
        }
        MigrationVersion after = info().currentVersion();
        return new MigrateResult(Store.POSTGRES, target, plan.asked(), before.currentVersion(), after, done, MigrateResult.Status.UNDONE,
            elapsed(start));
    }

    /**
     * Runs one undo migration and records it: in one transaction with its history record when every statement can run
     * in one, else statement by statement. A failed version being cleaned up has its failed record removed (Flyway's
     * repair), an applied one gets a {@code DELETE} record.
     */
    private AppliedStep runUndo(Connection c, String table, UndoPlan.Step step, List<SqlStatements.Statement> statements) throws SQLException {
        MigrationScript u = step.undo();
        boolean transactional = statements.stream().allMatch(SqlStatements.Statement::transactional);
        long t0 = System.nanoTime();
        c.setAutoCommit(!transactional);
        SqlStatements.Statement current = null;
        try {
            try (Statement st = c.createStatement()) {
                for (SqlStatements.Statement s : statements) {
                    current = s;
                    st.execute(s.sql());
                }
            }
            current = null;
            long took = elapsed(t0);
            if (step.cleanup()) {
                try (PreparedStatement del = c.prepareStatement("DELETE FROM " + table + " WHERE version = ? AND NOT success")) {
                    del.setString(1, step.version().toString());
                    del.executeUpdate();
                }
            } else {
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + table + " (installed_rank, version, description, type,"
                    + " script, checksum, installed_by, execution_time, success) SELECT coalesce(max(installed_rank), 0) + 1, ?, ?, ?, ?, ?,"
                    + " current_user, ?, true FROM " + table)) {
                    ins.setString(1, step.version().toString());
                    ins.setString(2, u.description());
                    ins.setString(3, InfoResult.UNDONE_TYPE);
                    ins.setString(4, u.script());
                    ins.setInt(5, u.checksum());
                    ins.setLong(6, took);
                    ins.executeUpdate();
                }
            }
            if (transactional) {
                c.commit();
            }
            return new AppliedStep(step.version(), u.description(), u.script(), took);
        } catch (SQLException e) {
            if (transactional) {
                c.rollback();
            }
            String where = current == null ? "" : "line " + current.line() + ": ";
            String reason = where + SqlStates.describe(e)
                + (transactional ? "; rolled back, the version stays applied" : "; not transactional: statements before it ran");
            throw new MigrationFailedException(STORE, target, step.version().toString(), u.script(), reason, e);
        } finally {
            c.setAutoCommit(true);
        }
    }

    @Override
    public RepairResult repair(boolean realignChecksums) {
        try (Connection c = connect()) {
            String table = historyTable(c);
            return withFlywayLock(c, table, () -> {
                List<AppliedMigration> rows = readHistory(c, table);
                InfoResult info = InfoResult.of(Store.POSTGRES, target, scripts, rows, Set.of());
                List<AppliedMigration> removed = rows.stream().filter(r -> !r.success()).toList();
                c.setAutoCommit(false);
                try {
                    if (!removed.isEmpty()) {
                        try (Statement st = c.createStatement()) {
                            st.executeUpdate("DELETE FROM " + table + " WHERE NOT success");
                        }
                    }
                    List<ChecksumDrift> realigned = new ArrayList<>();
                    if (realignChecksums) {
                        for (ChecksumDrift d : info.drift()) {
                            try (PreparedStatement up = c.prepareStatement("UPDATE " + table + " SET checksum = ? WHERE version = ? AND success"
                                + " AND type <> ? AND checksum = ?")) {
                                up.setInt(1, d.found());
                                up.setString(2, d.version().toString());
                                up.setString(3, InfoResult.UNDONE_TYPE);
                                up.setInt(4, d.recorded());
                                up.executeUpdate();
                            }
                            realigned.add(d);
                        }
                    }
                    c.commit();
                    return new RepairResult(Store.POSTGRES, target, removed, realigned);
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(true);
                }
            });
        } catch (SQLException e) {
            throw sqlFailure(e);
        }
    }

    /** Work under a session lock on the history table. */
    @FunctionalInterface
    private interface LockedWork<T> {
        T run() throws SQLException;
    }

    /**
     * Runs {@code work} holding Flyway's own PostgreSQL advisory lock on the history table (same lock number Flyway
     * computes: 77431708279161 + the hash of the quoted table name), so undo and repair exclude Flyway's migrate.
     */
    private <T> T withFlywayLock(Connection c, String table, LockedWork<T> work) throws SQLException {
        long lockNumber = 77431708279161L + table.hashCode();
        long deadline = System.nanoTime() + Math.max(1, lockWaitSeconds) * 1_000_000_000L;
        while (true) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                ps.setLong(1, lockNumber);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        break;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new LockContentionException("postgres target '" + target + "': the migration lock (Flyway advisory lock) stayed held for "
                    + lockWaitSeconds + " s", null);
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LockContentionException("postgres target '" + target + "': interrupted while waiting for the migration lock", e);
            }
        }
        try {
            return work.run();
        } finally {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                ps.setLong(1, lockNumber);
                ps.execute();
            }
        }
    }

    private TidemarkException sqlFailure(SQLException e) {
        if (SqlStates.transientState(e.getSQLState()) || e.getSQLState() == null) {
            return new ConnectionException("postgres target '" + target + "': " + SqlStates.describe(e), e);
        }
        return new dev.tidemark.error.StoreException("postgres target '" + target + "': " + SqlStates.describe(e), e);
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
        try (var c = DriverManager.getConnection(connection.jdbcUrl(), connection.username(), connection.password());
             var st = c.createStatement()) {
            st.execute("SELECT 1");
        } catch (SQLException e) {
            throw sqlFailure(e);
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

    private boolean failedRecordExists() {
        return java.util.Arrays.stream(guard(() -> configure().load().info().all())).anyMatch(i -> i.getState() != null && i.getState().isFailed());
    }

    /** The migrations an attempt cut short by a lock timeout applied before the one that timed out. */
    private List<MigrateOutput> appliedSince(MigrationVersion before, List<MigrateOutput> already) {
        List<MigrateOutput> out = new ArrayList<>();
        for (MigrationInfo i : guard(() -> configure().load().info().applied())) {
            if (i.getVersion() == null || i.getState() == null || !i.getState().isApplied()) {
                continue;
            }
            MigrationVersion v = MigrationVersion.parse(i.getVersion().getVersion());
            if ((before == null || v.compareTo(before) > 0) && already.stream().noneMatch(o -> v.toString().equals(o.version))) {
                MigrateOutput o = new MigrateOutput();
                o.version = v.toString();
                o.description = i.getDescription();
                o.filepath = i.getScript();
                o.executionTime = i.getExecutionTime() == null ? 0 : i.getExecutionTime();
                out.add(o);
            }
        }
        return out;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockContentionException("interrupted while waiting to retry a migration", e);
        }
    }

    private static long elapsed(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private <T> T guard(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (TidemarkException e) {
            throw e;
        } catch (FlywayException e) {
            throw flywayFailure(e);
        }
    }

    /** Flyway's error codes whose failure is the migrations' or the schema's state, not the server's. */
    private static final Set<org.flywaydb.core.api.ErrorCode> INVALID = Set.of(CoreErrorCode.VALIDATE_ERROR, CoreErrorCode.CHECKSUM_MISMATCH,
        CoreErrorCode.NON_EMPTY_SCHEMA_WITHOUT_SCHEMA_HISTORY_TABLE, CoreErrorCode.CONFIGURATION, CoreErrorCode.DUPLICATE_VERSIONED_MIGRATION,
        CoreErrorCode.DUPLICATE_UNDO_MIGRATION, CoreErrorCode.DUPLICATE_DELETED_MIGRATION, CoreErrorCode.TYPE_MISMATCH,
        CoreErrorCode.DESCRIPTION_MISMATCH, CoreErrorCode.APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED,
        CoreErrorCode.RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED, CoreErrorCode.SCHEMA_DOES_NOT_EXIST);

    /**
     * Classifies a Flyway failure by Flyway's public error code and the SQLSTATE of its cause, never by message text:
     * a transient SQLSTATE is a retryable {@link ConnectionException}; a validation code a {@link ValidationException}
     * (a non-empty schema without history points to baseline); a failure with no SQL cause while another session holds
     * Flyway's advisory lock (the store's {@code pg_locks} says so) a {@link LockContentionException}; anything else a
     * {@link dev.tidemark.error.StoreException}.
     */
    private TidemarkException flywayFailure(FlywayException e) {
        SQLException sql = findSql(e);
        if (sql != null && SqlStates.transientState(sql.getSQLState())) {
            return new ConnectionException("postgres target '" + target + "': " + SqlStates.describe(sql), e);
        }
        org.flywaydb.core.api.ErrorCode code = e.getErrorCode();
        if (e instanceof org.flywaydb.core.api.exception.FlywayValidateException || INVALID.contains(code)) {
            String hint = code == CoreErrorCode.NON_EMPTY_SCHEMA_WITHOUT_SCHEMA_HISTORY_TABLE
                ? "; the schema holds objects but no schema history: baseline the target at its current version first" : "";
            return new ValidationException("postgres target '" + target + "': " + flat(e.getMessage()) + hint, e);
        }
        if (sql == null && lockHeldElsewhere()) {
            return new LockContentionException("postgres target '" + target + "': the migration lock (Flyway advisory lock) stayed held for "
                + lockWaitSeconds + " s", e);
        }
        return new dev.tidemark.error.StoreException("postgres target '" + target + "': "
            + (sql != null ? SqlStates.describe(sql) : flat(e.getMessage())), e);
    }

    /** @return whether another session holds Flyway's advisory lock on this target's history, as {@code pg_locks} shows */
    private boolean lockHeldElsewhere() {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = "
            + "'advisory' AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ? AND pid <> pg_backend_pid())")) {
            ps.setLong(1, 77431708279161L + historyTable(c).hashCode());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            return false;
        }
    }

    /** @return a message on one line, at most 500 characters */
    private static String flat(String message) {
        String one = String.valueOf(message).strip().replaceAll("\\s*\\n\\s*", "; ");
        return one.length() > 500 ? one.substring(0, 500) + "..." : one;
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
        return sql != null ? SqlStates.describe(sql) : flat(e.getMessage());
    }

    private static final class NoJavaMigrations implements ClassProvider<JavaMigration> {
        @Override
        public Collection<Class<? extends JavaMigration>> getClasses() {
            return List.of();
        }
    }

}
