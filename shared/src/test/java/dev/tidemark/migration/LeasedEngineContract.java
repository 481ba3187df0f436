package dev.tidemark.migration;

import dev.tidemark.error.LockContentionException;
import dev.tidemark.error.RepairRequiredException;
import org.junit.jupiter.api.Test;

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
}
