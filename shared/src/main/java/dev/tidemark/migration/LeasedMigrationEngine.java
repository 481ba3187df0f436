package dev.tidemark.migration;

import dev.tidemark.error.LeaseLostException;
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
 * <p>
 * The lease fences the run (README, Concurrency): every record carries the lease's epoch and the history refuses a write
 * over a later epoch's; the lease is confirmed with the store before every command and after the last one, and a run
 * that lost it stops with {@link LeaseLostException}; a run that takes the lease rewrites the "started" records of
 * earlier epochs as failed.
 *
 * @param <P> the parsed form of one migration file
 */
public abstract class LeasedMigrationEngine<P> implements MigrationEngine {

    /** Start of the error text of a record written before a migration runs and not yet completed. */
    public static final String IN_PROGRESS = "started at ";

    /** The longest a run that failed keeps trying to leave its record while the store is unreachable: 15 s. */
    static final Duration SETTLE_LIMIT = Duration.ofSeconds(15);

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

    /** Called by {@link #execute} before each command or request it sends. */
    @FunctionalInterface
    protected interface StepGuard {
        /** @throws LeaseLostException when the run no longer holds its lease: the step must not be sent */
        void beforeStep();
    }

    /**
     * Runs the parsed steps of one migration or undo migration, calling {@code guard} before each.
     *
     * @param script the migration
     * @param parsed its parsed steps
     * @param cleanup true when undoing a failed migration: answers that an object does not exist are accepted
     * @param guard to call before each step is sent
     * @throws Exception any failure; its message (without secrets) is recorded in the history
     */
    protected abstract void execute(MigrationScript script, P parsed, boolean cleanup, StepGuard guard) throws Exception;

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

    /**
     * Reads the lock before the history, so that a run starting or ending between the two reads is not mistaken for a
     * failed one: an in-progress record is running when its epoch is the live lease's, or newer than any epoch the lock
     * showed (a run that took the lock after it was read).
     */
    @Override
    public InfoResult info() {
        Instant now = Instant.now();
        java.util.OptionalLong live = lock.liveEpoch(now);
        long last = live.isPresent() ? live.getAsLong() : lock.lastEpoch();
        List<AppliedMigration> rows = history.read();
        Set<MigrationVersion> running = rows.stream()
            .filter(r -> inProgress(r) && (r.epoch() > last || live.isPresent() && r.epoch() == live.getAsLong()))
            .map(AppliedMigration::version).collect(Collectors.toSet());
        return InfoResult.of(store, target, scripts, rows, running);
    }

    private static boolean inProgress(AppliedMigration row) {
        return !row.success() && row.error() != null && row.error().startsWith(IN_PROGRESS);
    }

    /**
     * @param rows the history, read under this run's own lease: no other run is in progress, so every in-progress record
     *             of an earlier epoch counts as failed
     */
    private InfoResult lockedInfo(List<AppliedMigration> rows) {
        return InfoResult.of(store, target, scripts, rows, Set.of());
    }

    /**
     * Under a freshly taken lease: rewrites, with this lease's epoch, every in-progress record of an earlier epoch as
     * failed. Its run lost its lease (crashed, or paused past it); from now on the history refuses that run's writes to the
     * record, so it can never mark a half-applied migration as done.
     *
     * @return the history as it now stands
     */
    private List<AppliedMigration> claimAbandoned(Lease lease, List<AppliedMigration> rows) {
        List<AppliedMigration> out = new ArrayList<>();
        for (AppliedMigration r : rows) {
            if (inProgress(r) && r.epoch() < lease.epoch()) {
                // no longer "started at ...": the record is failed, not in progress
                AppliedMigration failed = new AppliedMigration(r.installedRank(), r.version(), r.description(), r.type(), r.script(),
                    r.checksum(), r.installedBy(), r.installedOn(), r.executionTimeMs(), false, "the run that started it at " + r.installedOn()
                    + " (lease epoch " + r.epoch() + ") lost its lease before it finished: what it changed is unknown", lease.epoch());
                history.write(failed);
                out.add(failed);
            } else {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public MigrateResult migrate(TargetVersion targetVersion, boolean dryRun) {
        long start = System.nanoTime();
        InfoResult before = info();
        refuseUnsafe(before, targetVersion);
        List<AppliedStep> earlier = dryRun ? null : Backfills.completeBefore(this, scripts, before, targetVersion);
        if (earlier != null) {
            return migrate(targetVersion, false).after(earlier, before.currentVersion(), elapsed(start));
        }
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
            List<AppliedMigration> rows = claimAbandoned(lease, history.read());
            InfoResult locked = lockedInfo(rows);
            refuseUnsafe(locked, targetVersion);
            int rank = rows.stream().mapToInt(AppliedMigration::installedRank).max().orElse(0);
            after = locked.currentVersion();
            for (MigrationScript s : wanted(locked, targetVersion)) {
                lease.check();
                P steps0 = parsed.computeIfAbsent(s.version(), v -> parseResolved(s));
                long took = runRecorded(lease, ++rank, s, steps0, false, historyType(), historyType(), "run");
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
            List<AppliedMigration> rows = claimAbandoned(lease, history.read());
            UndoPlan locked = UndoPlan.of(lockedInfo(rows), undoScripts, to);
            int rank = rows.stream().mapToInt(AppliedMigration::installedRank).max().orElse(0);
            for (UndoPlan.Step step : locked.steps()) {
                lease.check();
                MigrationScript u = step.undo();
                P undoSteps = parsed.computeIfAbsent(step.version(), v -> parseResolved(u));
                // an unfinished or failed undo is recorded as a failed step of the version, so the target needs repair
                long took = runRecorded(lease, ++rank, u, undoSteps, step.cleanup(), "UNDO_" + historyType(), InfoResult.UNDONE_TYPE, "undo");
                steps.add(new AppliedStep(step.version(), u.description(), u.script(), took));
            }
        }
        MigrationVersion after = info().currentVersion();
        return new MigrateResult(store, target, plan.asked(), before.currentVersion(), after, steps,
            steps.isEmpty() ? MigrateResult.Status.UP_TO_DATE : MigrateResult.Status.UNDONE, elapsed(start));
    }

    /**
     * Runs one file recorded in the history: a not-successful "started" record first, rewritten as failed (with the
     * reason) or as done when it ends. Every record carries the lease's epoch, so the history refuses it once a later run
     * owns the record; the lease is confirmed with the store before each step and after the last one.
     *
     * @param lease the held lease
     * @param installedRank the record's rank
     * @param s the migration or undo migration
     * @param parsed its parsed steps
     * @param cleanup see {@link #execute}
     * @param runningType the record's type while it runs and if it fails
     * @param doneType the record's type once it succeeded
     * @param what {@code run} or {@code undo}, for the "started" record
     * @return how long it ran, in milliseconds
     * @throws MigrationFailedException when it fails
     * @throws LeaseLostException when the lease was lost: nothing more is sent, the record is left failed
     * @throws dev.tidemark.error.ConnectionException when the store could not be reached before the first step was sent:
     *                                                nothing ran, and the record is removed
     */
    private long runRecorded(Lease lease, int installedRank, MigrationScript s, P parsed, boolean cleanup, String runningType,
                             String doneType, String what) {
        long epoch = lease.epoch();
        Instant startedAt = Instant.now();
        try {
            history.write(record(installedRank, s, runningType, startedAt, 0, false,
                IN_PROGRESS + startedAt + "; the " + what + " did not finish (still running, crashed or timed out)").writtenIn(epoch));
        } catch (RuntimeException e) {
            if (transientFailure(e)) {
                // the write may have landed before the answer was lost; no step was sent, so no record may stay
                settle(() -> history.delete(installedRank, epoch));
            }
            throw e;
        }
        long t0 = System.nanoTime();
        int[] steps = {0};
        try {
            execute(s, parsed, cleanup, () -> {
                lease.check();
                steps[0]++;
            });
            lease.check();
        } catch (LeaseLostException e) {
            if (steps[0] == 0) {
                // refused before the first step was sent: nothing ran, so no record stays (unless a later run owns it)
                settle(() -> history.delete(installedRank, epoch));
                throw e;
            }
            // every step the guard let through has ended (a failed one is caught below)
            AppliedMigration stopped = record(installedRank, s, runningType, Instant.now(), elapsed(t0), false, "stopped after "
                + steps[0] + " step(s): " + e.getMessage()).writtenIn(epoch);
            settle(() -> history.write(stopped));
            throw e;
        } catch (Exception e) {
            if (steps[0] <= 1 && notSent(e)) {
                // the store was not reached: the first step never left, nothing ran
                settle(() -> history.delete(installedRank, epoch));
                throw new dev.tidemark.error.ConnectionException(store.id() + " target '" + target + "': migration " + s.version() + " ("
                    + s.script() + ") did not start: the store could not be reached; nothing ran", e);
            }
            String reason = e instanceof com.mongodb.MongoException m ? dev.tidemark.mongo.MongoErrors.describe(m)
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            // kept trying while the store is unreachable (a restart): the next run must find a failed record, not guess
            settle(() -> history.write(record(installedRank, s, runningType, Instant.now(), elapsed(t0), false, reason).writtenIn(epoch)));
            throw new MigrationFailedException(store.id(), target, s.version().toString(), s.script(), reason, e);
        }
        long took = elapsed(t0);
        // every step ran: a store that blinks now must not turn a complete migration into a failed record
        retryTransient(() -> history.write(record(installedRank, s, doneType, Instant.now(), took, true, null).writtenIn(epoch)));
        return took;
    }

    /** @return whether the error proves the request never reached the store (no connection could be opened) */
    private static boolean notSent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            // server selection or a pool wait that timed out never sent the command; an operation timeout (CSOT) may have
            if (t instanceof java.net.ConnectException || t instanceof com.mongodb.MongoSocketOpenException
                || t instanceof com.mongodb.MongoTimeoutException && !(t instanceof com.mongodb.MongoOperationTimeoutException)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes a history write or delete after a failure, as {@link #retryTransient} does, and gives up quietly: a store that
     * restarts within the lease still gets the record, so the next run's answer is {@code RepairRequired} at once. A
     * refusal by epoch (a later run owns the record) ends it: the record is that run's.
     */
    private void settle(Runnable historyChange) {
        try {
            retryTransient(historyChange);
        } catch (RuntimeException e) {
            // fenced out (the record is a later run's), or still unreachable: the record stays as it is, in progress under
            // a lease that runs out, and the next run claims it as failed
        }
    }

    /**
     * Runs a history write or delete, trying again every 200 ms after a transient failure for at most the lease length
     * (capped at {@link #SETTLE_LIMIT}); the write is idempotent (same rank, fenced by epoch).
     *
     * @throws RuntimeException the last failure when it did not succeed in time, or at once when it is not transient
     */
    private void retryTransient(Runnable historyChange) {
        long deadline = System.nanoTime() + Math.min(leaseLength.toNanos(), SETTLE_LIMIT.toNanos());
        while (true) {
            try {
                historyChange.run();
                return;
            } catch (RuntimeException e) {
                if (!transientFailure(e) || e instanceof LeaseLostException || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** @return whether a history write failed for a transient reason (unreachable store, failover), by the store's own codes */
    private static boolean transientFailure(RuntimeException e) {
        return e instanceof dev.tidemark.error.TidemarkException t ? t.retryable()
            : e instanceof com.mongodb.MongoException m && dev.tidemark.mongo.MongoErrors.transientError(m);
    }

    @Override
    public RepairResult repair(boolean realignChecksums) {
        try (Lease lease = Lease.acquire(lock, Lease.newOwnerId(), leaseLength, lockWait, target)) {
            List<AppliedMigration> rows = claimAbandoned(lease, history.read());
            InfoResult locked = lockedInfo(rows);
            List<AppliedMigration> removed = new ArrayList<>();
            for (AppliedMigration row : rows) {
                if (!row.success()) {
                    history.delete(row.installedRank(), lease.epoch());
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
                                row.script(), d.found(), row.installedBy(), row.installedOn(), row.executionTimeMs(), true, null, lease.epoch()));
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
                0, true, null, lease.epoch()));
        }
    }

    private static long elapsed(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
