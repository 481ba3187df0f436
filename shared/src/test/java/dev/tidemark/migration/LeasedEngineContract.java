package dev.tidemark.migration;

import dev.tidemark.error.LockContentionException;
import dev.tidemark.error.RepairRequiredException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the lease-locked engines (MongoDB, Elasticsearch) share beyond {@link MigrationEngineContract}. */
public abstract class LeasedEngineContract extends MigrationEngineContract {

    /** @return the lock record of this test's target */
    protected abstract LeaseStore leaseStore();

    /** @return the schema history of this test's target */
    protected abstract HistoryStore historyStore();

    /** @param scripts migrations @return an engine that waits only 1 s for a held lock */
    protected abstract MigrationEngine impatientEngine(List<MigrationScript> scripts);

    /**
     * @param port a port on 127.0.0.1 that forwards to this test's server (a {@link dev.tidemark.testing.FreezingProxy})
     * @param scripts migrations
     * @param lease the lease length
     * @return an engine for this test's target whose every connection, heartbeat included, goes through that port
     */
    protected abstract MigrationEngine engineThrough(int port, List<MigrationScript> scripts, Duration lease);

    /** @return the port of this test's server on 127.0.0.1 */
    protected abstract int serverPort();

    /** @return every ledger entry, as {@code m:step} */
    protected abstract List<String> ledger();

    /** @param lease the lease length @param wait the lock wait @param scripts migrations @return a direct engine */
    protected abstract MigrationEngine engine(List<MigrationScript> scripts, Duration lease, Duration wait);

    private AppliedMigration inProgress(MigrationScript script, Instant startedAt) {
        return new AppliedMigration(1, script.version(), script.description(), "X", script.script(), script.checksum(), "tidemark",
            startedAt, 0, false, LeasedMigrationEngine.IN_PROGRESS + startedAt + "; the run did not finish");
    }

    @Test
    void aLeaseHeldLongerThanTheLockWaitIsLockContentionNamingTheHolder() {
        Instant now = Instant.now();
        assertThat(leaseStore().tryAcquire("live-run", now, now.plusSeconds(60))).isPositive();
        try (MigrationEngine impatient = impatientEngine(things(1))) {
            assertThatThrownBy(() -> impatient.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(LockContentionException.class)
                .hasMessageContaining("held by live-run");
            assertThat(exists("thing_1")).isFalse();
            assertThat(impatient.info().applied()).isEmpty();
        }
    }

    @Test
    void aMigrationLeftUnfinishedByADeadRunBlocksTheNextRunUntilRepaired() {
        historyStore().write(inProgress(things(1).getFirst(), Instant.now()));
        try (MigrationEngine engine = engine(things(2))) {
            assertThat(engine.info().failed()).hasSize(1);
            assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(RepairRequiredException.class).hasMessageContaining("did not finish");
            assertThat(exists("thing_2")).isFalse();
            // a run that takes the lease (here a repair) first claims the record for its epoch, so the lost run can
            // never write it again; the claimed record is failed, not in progress
            RepairResult repaired = engine.repair(false);
            assertThat(repaired.removedFailed()).singleElement()
                .satisfies(r -> assertThat(r.error()).contains("lost its lease before it finished").doesNotStartWith(LeasedMigrationEngine.IN_PROGRESS));
            assertThat(engine.info().failed()).isEmpty();
        }
    }

    @Test
    void aMigrationInProgressUnderALiveLeaseIsNeitherFailedNorPendingAndOthersWaitForTheLock() {
        Instant now = Instant.now();
        long epoch = leaseStore().tryAcquire("live-run", now, now.plusSeconds(60));
        assertThat(epoch).isPositive();
        historyStore().write(inProgress(things(1).getFirst(), now).writtenIn(epoch));
        try (MigrationEngine engine = impatientEngine(things(2))) {
            InfoResult info = engine.info();
            assertThat(info.failed()).isEmpty();
            assertThat(info.pending()).extracting(p -> p.version().toString()).containsExactly("2");
            assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false)).isInstanceOf(LockContentionException.class);
        }
    }

    @Test
    void repairRemovesTheFailedRecordAndTheFixedMigrationRunsAgain() {
        List<MigrationScript> broken = List.of(script(1, createThing(1)), script(2, failingAfterFirstStep()));
        try (MigrationEngine engine = engine(broken)) {
            assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false)).isInstanceOf(dev.tidemark.error.MigrationFailedException.class);
            RepairResult repaired = engine.repair(false);
            assertThat(repaired.removedFailed()).extracting(a -> a.version().toString()).containsExactly("2");
            assertThat(engine.info().failed()).isEmpty();
        }
        try (MigrationEngine fixed = engine(List.of(script(1, createThing(1)), script(2, createThing(2))))) {
            assertThat(fixed.migrate(TargetVersion.LATEST, false).migrations()).extracting(s -> s.version().toString()).containsExactly("2");
        }
    }

    /** @param o a run's result or error @return its status, or the error's class name */
    protected static String outcome(Object o) {
        return o instanceof MigrateResult m ? m.status() + " (" + m.migrations().size() + " migrations)" : o.getClass().getSimpleName();
    }

    @Test
    void aRenewalOfAnExpiredLeaseIsRefusedAndEveryTakeoverRaisesTheEpoch() {
        LeaseStore store = leaseStore();
        Instant now = Instant.now();
        long first = store.tryAcquire("paused-run", now.minusSeconds(10), now.minusSeconds(1));
        assertThat(first).isPositive();
        assertThat(store.renew("paused-run", first, now, now.plusSeconds(60))).as("an expired lease is never renewed").isFalse();
        assertThat(store.holds("paused-run", first, now)).isFalse();
        long second = store.tryAcquire("new-run", now, now.plusSeconds(60));
        assertThat(second).isEqualTo(first + 1);
        assertThat(store.renew("paused-run", first, now, now.plusSeconds(60))).isFalse();
        store.release("paused-run", first);
        assertThat(store.holds("new-run", second, Instant.now())).as("a stale holder's release does not free the lock").isTrue();
        assertThat(store.liveEpoch(Instant.now())).hasValue(second);
        store.release("new-run", second);
        assertThat(store.liveEpoch(Instant.now())).isEmpty();
        assertThat(store.tryAcquire("third-run", Instant.now(), Instant.now().plusSeconds(60))).as("the epoch survives a release")
            .isEqualTo(second + 1);
    }

    @Test
    void aHistoryWriteOfAnEarlierEpochIsRefusedByTheStore() {
        HistoryStore history = historyStore();
        MigrationScript s = things(1).getFirst();
        history.write(inProgress(s, Instant.now()).writtenIn(5));
        assertThatThrownBy(() -> history.write(new AppliedMigration(1, s.version(), s.description(), "X", s.script(), s.checksum(), "tidemark",
            Instant.now(), 1, true, null, 4))).isInstanceOf(dev.tidemark.error.LeaseLostException.class).hasMessageContaining("epoch");
        assertThat(history.read()).singleElement().satisfies(r -> {
            assertThat(r.success()).isFalse();
            assertThat(r.epoch()).isEqualTo(5);
        });
        history.write(new AppliedMigration(1, s.version(), s.description(), "X", s.script(), s.checksum(), "tidemark", Instant.now(), 1,
            true, null, 6));
        assertThat(history.read()).singleElement().satisfies(r -> assertThat(r.success()).isTrue());
    }

    /**
     * The classic lease test (Kleppmann's): a holder is cut off (every byte of its connections held, heartbeat included)
     * at a random point past its lease, a new run takes over, then the old holder's bytes arrive late. Over repeated
     * trials: no step runs twice, no migration whose steps did not all run is recorded as successful, and every migration
     * that ran any step is in the history.
     */
    @org.junit.jupiter.api.RepeatedTest(4)
    void aHolderCutOffPastItsLeaseNeverRunsAStepTwiceNorRecordsAHalfAppliedMigrationAsDone() throws Exception {
        int count = 8;
        int steps = 12;
        List<MigrationScript> scripts = new java.util.ArrayList<>();
        for (int v = 1; v <= count; v++) {
            scripts.add(script(v, dev.tidemark.testing.Ledger.steps(store(), v, steps)));
        }
        Duration lease = Duration.ofMillis(1500);
        int freezeAt = 1 + new java.util.Random().nextInt(count * steps / 2);
        Object first;
        Object second;
        try (dev.tidemark.testing.FreezingProxy proxy = new dev.tidemark.testing.FreezingProxy("127.0.0.1", serverPort())) {
            java.util.concurrent.CompletableFuture<Object> holder = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (MigrationEngine a = engineThrough(proxy.port(), scripts, lease)) {
                    return a.migrate(TargetVersion.LATEST, false);
                } catch (RuntimeException e) {
                    return e;
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (ledger().size() < freezeAt && !holder.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            proxy.freeze();
            Thread.sleep(lease.toMillis() + 800);
            try (MigrationEngine b = engine(scripts, lease, Duration.ofSeconds(10))) {
                second = b.migrate(TargetVersion.LATEST, false);
            } catch (RuntimeException e) {
                second = e;
            }
            proxy.thaw();
            first = holder.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        List<String> ledger = ledger();
        System.out.printf("lease fault trial (%s): cut off after %d of %d steps; holder: %s; new run: %s; steps run: %d%n", store().id(),
            freezeAt, count * steps, outcome(first), outcome(second), ledger.size());
        dev.tidemark.testing.Ledger.assertConsistent(ledger, historyStore().read(), steps, "holder: " + outcome(first) + ", new run: "
            + outcome(second));
        if (first instanceof MigrateResult m) {
            assertThat(ledger).as("a holder that reports success ran every step itself: nobody took over").hasSize(count * steps);
            assertThat(m.migrations()).hasSize(count);
        }
    }

    @Test
    void eightRunsAtOnceApplyEachStepOnce() throws Exception {
        int count = 4;
        int steps = 5;
        List<MigrationScript> scripts = dev.tidemark.testing.Ledger.scripts(store(), count, steps);
        List<java.util.concurrent.CompletableFuture<String>> runs = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            runs.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (MigrationEngine e = engine(scripts, Duration.ofSeconds(10), Duration.ofSeconds(60))) {
                    return outcome(e.migrate(TargetVersion.LATEST, false));
                } catch (RuntimeException e) {
                    return outcome(e);
                }
            }));
        }
        List<String> outcomes = new java.util.ArrayList<>();
        for (var r : runs) {
            outcomes.add(r.get(120, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertThat(outcomes).as("one run migrates, the others find it done").containsOnlyOnce("MIGRATED (" + count + " migrations)")
            .allMatch(o -> o.startsWith("MIGRATED") || o.startsWith("UP_TO_DATE"));
        assertThat(ledger()).hasSize(count * steps);
        dev.tidemark.testing.Ledger.assertConsistent(ledger(), historyStore().read(), steps, "eight runs: " + outcomes);
    }

    @Test
    void aConnectionResetMidRunLeavesAFailedRecordAndReleasesTheLeaseAtOnce() throws Exception {
        int count = 6;
        int steps = 10;
        List<MigrationScript> scripts = dev.tidemark.testing.Ledger.scripts(store(), count, steps);
        Object holder;
        try (dev.tidemark.testing.FreezingProxy proxy = new dev.tidemark.testing.FreezingProxy("127.0.0.1", serverPort())) {
            var run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (MigrationEngine a = engineThrough(proxy.port(), scripts, Duration.ofSeconds(30))) {
                    return (Object) a.migrate(TargetVersion.LATEST, false);
                } catch (RuntimeException e) {
                    return e;
                }
            });
            while (ledger().size() < steps + 3 && !run.isDone()) {
                Thread.sleep(2);
            }
            proxy.resetAll();
            holder = run.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        long t0 = System.nanoTime();
        Object next;
        try (MigrationEngine b = impatientEngine(scripts)) {
            next = b.migrate(TargetVersion.LATEST, false);
        } catch (RuntimeException e) {
            next = e;
        }
        System.out.printf("lease fault trial (%s, connection reset): holder: %s; next run: %s after %d ms%n", store().id(), outcome(holder),
            outcome(next), (System.nanoTime() - t0) / 1_000_000);
        assertThat(holder).as("the reset run fails, or finishes if the reset came between its requests")
            .satisfiesAnyOf(h -> assertThat(h).isInstanceOf(dev.tidemark.error.TidemarkException.class), h -> assertThat(h).isInstanceOf(MigrateResult.class));
        assertThat(next).as("the next run does not wait out the 30 s lease").satisfiesAnyOf(
            n -> assertThat(n).isInstanceOf(RepairRequiredException.class), n -> assertThat(n).isInstanceOf(MigrateResult.class));
        dev.tidemark.testing.Ledger.assertConsistent(ledger(), historyStore().read(), steps, "connection reset");
    }

    /**
     * The documented recovery raced against a paused holder: while the holder is cut off past its lease, a rollback takes
     * the lease, claims the holder's unfinished record and undoes back below it; then the holder's bytes arrive. The
     * holder stops at its next lease check, writes nothing over the rollback's records, and runs no step twice.
     */
    @org.junit.jupiter.api.RepeatedTest(2)
    void aRollbackWhileTheHolderIsCutOffWinsAndTheResumedHolderNeverRecordsTheStepAsDone() throws Exception {
        int count = 6;
        int steps = 12;
        List<MigrationScript> scripts = dev.tidemark.testing.Ledger.scripts(store(), count, steps);
        List<MigrationScript> undo = dev.tidemark.testing.Ledger.undoScripts(store(), count);
        CutOff<MigrateResult> run = recoverWhileCutOff(scripts, undo, steps, b -> {
            MigrationVersion good = b.info().applied().stream().filter(AppliedMigration::success).map(AppliedMigration::version)
                .max(MigrationVersion::compareTo).orElseThrow();
            return b.undo(MigrationVersion.parse(Integer.toString(Integer.parseInt(good.toString()) - 1)), false);
        });
        Object holder = run.holder();
        MigrateResult rolledBack = run.recovery();
        List<AppliedMigration> history = historyStore().read();
        System.out.printf("lease fault trial (%s, rollback while cut off): holder: %s; rollback: %s; history: %s%n", store().id(), outcome(holder),
            rolledBack.status() + " " + rolledBack.versionBefore() + " -> " + rolledBack.versionAfter(), history.stream().map(r -> r.version() + "/" + r.type() + "/" + r.success()).toList());
        assertThat(holder).as("the resumed holder stops").isInstanceOf(dev.tidemark.error.LeaseLostException.class);
        List<String> ledger = ledger();
        assertThat(ledger).doesNotHaveDuplicates();
        int kept = rolledBack.versionAfter() == null ? 0 : Integer.parseInt(rolledBack.versionAfter().toString());
        for (int v = 1; v <= count; v++) {
            String m = v + ":";
            long entries = ledger.stream().filter(e -> e.startsWith(m)).count();
            if (v <= kept) {
                assertThat(entries).as("migration %d stays applied, every step once", v).isEqualTo(steps);
            } else {
                // the one request the holder had on the wire when it was cut off may land late: it is never recorded
                assertThat(entries).as("migration %d was undone; at most the holder's in-flight step landed after it", v).isLessThanOrEqualTo(1);
            }
        }
        try (MigrationEngine after = engine(scripts)) {
            InfoResult info = after.info();
            assertThat(info.failed()).as("the rollback cleaned up what the holder left; the holder wrote nothing after it").isEmpty();
            assertThat(info.currentVersion()).isEqualTo(rolledBack.versionAfter());
        }
    }

    /**
     * The other documented recovery raced against a paused holder: while the holder is cut off past its lease, a repair
     * takes the lease, claims the holder's unfinished record and removes it. When the holder's bytes arrive it stops at its
     * next lease check; what it ran is recorded (its late "stopped" record comes back, since its steps did run), never as
     * done, and no step runs twice.
     */
    @org.junit.jupiter.api.RepeatedTest(2)
    void aRepairWhileTheHolderIsCutOffNeverLetsTheResumedHolderRecordTheStepAsDone() throws Exception {
        int count = 6;
        int steps = 12;
        List<MigrationScript> scripts = dev.tidemark.testing.Ledger.scripts(store(), count, steps);
        CutOff<RepairResult> run = recoverWhileCutOff(scripts, List.of(), steps, b -> b.repair(false));
        Object holder = run.holder();
        RepairResult repaired = run.recovery();
        List<AppliedMigration> history = historyStore().read();
        System.out.printf("lease fault trial (%s, repair while cut off): holder: %s; repair removed: %s; history: %s%n", store().id(),
            outcome(holder), repaired.removedFailed().stream().map(r -> r.version().toString()).toList(),
            history.stream().map(r -> r.version() + "/" + r.success()).toList());
        assertThat(holder).as("the resumed holder stops").isInstanceOf(dev.tidemark.error.LeaseLostException.class);
        dev.tidemark.testing.Ledger.assertConsistent(ledger(), history, steps, "repair while cut off");
    }

    /** @param holder the cut-off holder's result or error @param recovery what the recovery run returned */
    private record CutOff<T>(Object holder, T recovery) {
    }

    /**
     * Starts a holder through a freezing proxy, cuts it off inside migration 2 or 3, waits past its 1.5 s lease, runs the
     * recovery with a direct engine, then lets the holder's bytes through and waits for it.
     */
    private <T> CutOff<T> recoverWhileCutOff(List<MigrationScript> scripts, List<MigrationScript> undo, int steps,
                                             java.util.function.Function<MigrationEngine, T> recovery) throws Exception {
        Duration lease = Duration.ofMillis(1500);
        try (dev.tidemark.testing.FreezingProxy proxy = new dev.tidemark.testing.FreezingProxy("127.0.0.1", serverPort())) {
            var run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (MigrationEngine a = engineThrough(proxy.port(), scripts, lease).undoScripts(undo)) {
                    return (Object) a.migrate(TargetVersion.LATEST, false);
                } catch (RuntimeException e) {
                    return e;
                }
            });
            int cutAt = steps + 3 + new java.util.Random().nextInt(steps * 2); // inside migration 2 or 3
            while (ledger().size() < cutAt && !run.isDone()) {
                Thread.sleep(2);
            }
            proxy.freeze();
            Thread.sleep(lease.toMillis() + 800);
            T recovered;
            try (MigrationEngine b = engine(scripts, lease, Duration.ofSeconds(10)).undoScripts(undo)) {
                recovered = recovery.apply(b);
            }
            proxy.thaw();
            return new CutOff<>(run.get(60, java.util.concurrent.TimeUnit.SECONDS), recovered);
        }
    }
}
