package dev.tidemark.migration;

import dev.tidemark.error.MigrationFailedException;
import dev.tidemark.error.RepairRequiredException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.ValidationException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The migrate loop for stores without transactional DDL (MongoDB, Elasticsearch): every migration's steps are parsed
 * before anything runs, the lease lock is held while migrations run, and each migration is recorded in the schema
 * history as it ends, successful or failed. A failed migration stays recorded as failed (with its error) and later
 * runs are refused with {@link RepairRequiredException} until it is undone ({@link #undo}, which runs its undo
 * migration) or repaired: steps of a migration that ran before the failing one are not rolled back by the store. Before a migration runs, its record is
 * written as not successful ("started at ..."), and rewritten when it ends: a run that dies mid-migration (crash,
 * Lambda timeout) therefore leaves a failed record, never a silent half-applied change.
 *
 * @param <P> the parsed form of one migration file
 */
public abstract class LeasedMigrationEngine<P> implements MigrationEngine {

    /** Start of the error text of a record written before a migration runs and not yet completed. */
    public static final String IN_PROGRESS = "started at ";

    private final Store store;
    private final String target;
    private final List<MigrationScript> scripts;
    private final HistoryStore history;
    private final LeaseStore lock;
    private final Duration leaseLength;
    private final Duration lockWait;
    private final String installedBy;
    private Map<String, String> placeholderValues;
    private List<MigrationScript> undoScripts = List.of();

    /**
     * @param store the store
     * @param target the target name
     * @param scripts resolved migrations
     * @param history the schema history
     * @param lock the lease lock record
     * @param leaseLength lease length
     * @param lockWait how long to wait for a held lock
     * @param installedBy recorded as {@code installed_by}
     */
    protected LeasedMigrationEngine(Store store, String target, List<MigrationScript> scripts, HistoryStore history, LeaseStore lock,
                                    Duration leaseLength, Duration lockWait, String installedBy) {
        this.store = store;
        this.target = target;
        this.scripts = List.copyOf(scripts);
        this.history = history;
        this.lock = lock;
        this.leaseLength = leaseLength;
        this.lockWait = lockWait;
        this.installedBy = installedBy;
        this.placeholderValues = Placeholders.NONE.forTarget(store, target);
    }

    /**
     * @param placeholders values for {@code ${name}} in this target's files
     * @return this engine
     */
    public LeasedMigrationEngine<P> placeholders(Placeholders placeholders) {
        this.placeholderValues = placeholders.forTarget(store, target);
        return this;
    }

    private P parseResolved(MigrationScript script) {
        String content = Placeholders.apply(script, placeholderValues);
        return parse(new MigrationScript(script.version(), script.description(), script.script(), content, script.checksum()));
    }

    /**
     * Parses a migration file into the steps it will run, without touching the server.
     *
     * @param script the migration, placeholders already replaced
     * @return its parsed steps
     * @throws ValidationException naming the file and the problem
     */
    protected abstract P parse(MigrationScript script);

    /**
     * Runs the parsed steps of one migration or undo migration.
     *
     * @param script the migration
     * @param parsed its parsed steps
     * @param cleanup true when undoing a failed migration: answers that an object does not exist are accepted
     * @throws Exception any failure; its message (without secrets) is recorded in the history
     */
    protected abstract void execute(MigrationScript script, P parsed, boolean cleanup) throws Exception;

    /**
     * @param parsed the parsed steps of one file
     * @return each step as it would be sent, for a dry run
     */
    protected abstract List<String> describe(P parsed);

    /** @return the history {@code type} recorded for this store's migrations, e.g. {@code JSON} */
    protected abstract String historyType();

    /** @return the target name */
    protected String target() {
        return target;
    }

    @Override
    public InfoResult info() {
        List<AppliedMigration> rows = history.read();
        boolean running = rows.stream().anyMatch(LeasedMigrationEngine::inProgress) && lock.isHeld(Instant.now());
        return infoFrom(rows, running);
    }

    private static boolean inProgress(AppliedMigration row) {
        return !row.success() && row.error() != null && row.error().startsWith(IN_PROGRESS);
    }

    /**
     * @param rows the history
     * @param running whether a live run holds the lease: its in-progress record is then neither failed nor pending
     */
    private InfoResult infoFrom(List<AppliedMigration> rows, boolean running) {
        Set<MigrationVersion> runningVersions = running
            ? rows.stream().filter(LeasedMigrationEngine::inProgress).map(AppliedMigration::version).collect(Collectors.toSet())
            : Set.of();
        return InfoResult.of(store, target, scripts, rows, runningVersions);
    }

    @Override
    public MigrateResult migrate(TargetVersion targetVersion, boolean dryRun) {
        long start = System.nanoTime();
        InfoResult before = info();
        refuseUnsafe(before, targetVersion);
        List<MigrationScript> wanted = wanted(before, targetVersion);
        Map<MigrationVersion, P> parsed = new java.util.LinkedHashMap<>();
        for (MigrationScript s : wanted) {
            parsed.put(s.version(), parseResolved(s));
        }
        if (dryRun) {
            return new MigrateResult(store, target, targetVersion.toString(), before.currentVersion(), before.currentVersion(),
                wanted.stream().map(s -> new AppliedStep(s.version(), s.description(), s.script(), 0, describe(parsed.get(s.version())))).toList(),
                MigrateResult.Status.DRY_RUN, elapsed(start));
        }
        if (wanted.isEmpty()) {
            return new MigrateResult(store, target, targetVersion.toString(), before.currentVersion(), before.currentVersion(), List.of(),
                MigrateResult.Status.UP_TO_DATE, elapsed(start));
        }
        List<AppliedStep> steps = new ArrayList<>();
        MigrationVersion after;
        try (Lease lease = Lease.acquire(lock, Lease.newOwnerId(), leaseLength, lockWait, target)) {
            List<AppliedMigration> rows = history.read();
            InfoResult locked = infoFrom(rows, false);
            refuseUnsafe(locked, targetVersion);
            int rank = rows.stream().mapToInt(AppliedMigration::installedRank).max().orElse(0);
            after = locked.currentVersion();
            for (MigrationScript s : wanted(locked, targetVersion)) {
                lease.checkHeld();
                P steps0 = parsed.computeIfAbsent(s.version(), v -> parseResolved(s));
                long took = runRecorded(++rank, s, steps0, false, historyType(), historyType(), "run");
                steps.add(new AppliedStep(s.version(), s.description(), s.script(), took));
                after = s.version();
            }
        }
        return new MigrateResult(store, target, targetVersion.toString(), before.currentVersion(), after, steps,
            steps.isEmpty() ? MigrateResult.Status.UP_TO_DATE : MigrateResult.Status.MIGRATED, elapsed(start));
    }

    @Override
    public LeasedMigrationEngine<P> undoScripts(List<MigrationScript> undo) {
        this.undoScripts = List.copyOf(undo);
        return this;
    }

    @Override
    public MigrateResult undo(MigrationVersion to, boolean dryRun) {
        long start = System.nanoTime();
        InfoResult before = info();
        UndoPlan plan = UndoPlan.of(before, undoScripts, to);
        Map<MigrationVersion, P> parsed = new java.util.LinkedHashMap<>();
        for (UndoPlan.Step step : plan.steps()) {
            parsed.put(step.version(), parseResolved(step.undo()));
        }
        if (dryRun) {
            return plan.dryRun(before, s -> describe(parsed.get(s.version())), elapsed(start));
        }
        if (plan.steps().isEmpty()) {
            return plan.upToDate(before, elapsed(start));
        }
        List<AppliedStep> steps = new ArrayList<>();
        try (Lease lease = Lease.acquire(lock, Lease.newOwnerId(), leaseLength, lockWait, target)) {
            List<AppliedMigration> rows = history.read();
            UndoPlan locked = UndoPlan.of(infoFrom(rows, false), undoScripts, to);
            int rank = rows.stream().mapToInt(AppliedMigration::installedRank).max().orElse(0);
            for (UndoPlan.Step step : locked.steps()) {
                lease.checkHeld();
                MigrationScript u = step.undo();
                P undoSteps = parsed.computeIfAbsent(step.version(), v -> parseResolved(u));
                // an unfinished or failed undo is recorded as a failed step of the version, so the target needs repair
                long took = runRecorded(++rank, u, undoSteps, step.cleanup(), "UNDO_" + historyType(), InfoResult.UNDONE_TYPE, "undo");
                steps.add(new AppliedStep(step.version(), u.description(), u.script(), took));
            }
        }
        MigrationVersion after = info().currentVersion();
        return new MigrateResult(store, target, plan.asked(), before.currentVersion(), after, steps,
            steps.isEmpty() ? MigrateResult.Status.UP_TO_DATE : MigrateResult.Status.UNDONE, elapsed(start));
    }

    /**
     * Runs one file recorded in the history: a not-successful "started" record first, rewritten as failed (with the
     * reason) or as done when it ends.
     *
     * @param installedRank the record's rank
     * @param s the migration or undo migration
     * @param parsed its parsed steps
     * @param cleanup see {@link #execute}
     * @param runningType the record's type while it runs and if it fails
     * @param doneType the record's type once it succeeded
     * @param what {@code run} or {@code undo}, for the "started" record
     * @return how long it ran, in milliseconds
     * @throws MigrationFailedException when it fails
     */
    private long runRecorded(int installedRank, MigrationScript s, P parsed, boolean cleanup, String runningType, String doneType,
                             String what) {
        Instant startedAt = Instant.now();
        history.write(record(installedRank, s, runningType, startedAt, 0, false,
            IN_PROGRESS + startedAt + "; the " + what + " did not finish (still running, crashed or timed out)"));
        long t0 = System.nanoTime();
        try {
            execute(s, parsed, cleanup);
        } catch (Exception e) {
            String reason = e instanceof com.mongodb.MongoException m ? dev.tidemark.mongo.MongoErrors.describe(m)
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            history.write(record(installedRank, s, runningType, Instant.now(), elapsed(t0), false, reason));
            throw new MigrationFailedException(store.id(), target, s.version().toString(), s.script(), reason, e);
        }
        long took = elapsed(t0);
        history.write(record(installedRank, s, doneType, Instant.now(), took, true, null));
        return took;
    }

    @Override
    public RepairResult repair(boolean realignChecksums) {
        try (Lease lease = Lease.acquire(lock, Lease.newOwnerId(), leaseLength, lockWait, target)) {
            List<AppliedMigration> rows = history.read();
            InfoResult locked = infoFrom(rows, false);
            List<AppliedMigration> removed = new ArrayList<>();
            for (AppliedMigration row : rows) {
                if (!row.success()) {
                    history.delete(row.installedRank());
                    removed.add(row);
                }
            }
            List<ChecksumDrift> realigned = new ArrayList<>();
            if (realignChecksums) {
                for (ChecksumDrift d : locked.drift()) {
                    for (AppliedMigration row : rows) {
                        if (row.success() && d.version().equals(row.version()) && !InfoResult.UNDONE_TYPE.equals(row.type())
                            && row.checksum() != null && row.checksum().equals(d.recorded())) {
                            history.write(new AppliedMigration(row.installedRank(), row.version(), row.description(), row.type(),
                                row.script(), d.found(), row.installedBy(), row.installedOn(), row.executionTimeMs(), true, null));
                        }
                    }
                    realigned.add(d);
                }
            }
            return new RepairResult(store, target, removed, realigned);
        }
    }

    private AppliedMigration record(int installedRank, MigrationScript s, String type, Instant on, long executionTimeMs, boolean success,
                                    String error) {
        return new AppliedMigration(installedRank, s.version(), s.description(), type, s.script(), s.checksum(), installedBy, on,
            executionTimeMs, success, error);
    }

    private void refuseUnsafe(InfoResult info, TargetVersion targetVersion) {
        if (!info.failed().isEmpty()) {
            AppliedMigration f = info.failed().getFirst();
            throw new RepairRequiredException(store.id() + " target '" + target + "': migration " + f.version() + " (" + f.script()
                + ") is recorded as failed: " + f.error() + "; clean up and run repair before migrating again");
        }
        info.requireNoDrift();
        info.requireNotBelowCurrent(targetVersion);
    }

    private List<MigrationScript> wanted(InfoResult info, TargetVersion targetVersion) {
        MigrationVersion cur = info.currentVersion();
        return scripts.stream()
            .filter(s -> cur == null || s.version().compareTo(cur) > 0)
            .filter(s -> targetVersion.includes(s.version(), cur))
            .toList();
    }

    @Override
    public void baseline(MigrationVersion version, String description) {
        try (Lease lease = Lease.acquire(lock, Lease.newOwnerId(), leaseLength, lockWait, target)) {
            if (!history.read().isEmpty()) {
                throw new ValidationException("baseline: target '" + target + "' already has a schema history");
            }
            history.write(new AppliedMigration(1, version, description, "BASELINE", "<< Baseline >>", null, installedBy, Instant.now(),
                0, true, null));
        }
    }

    private static long elapsed(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
