package dev.tidemark.migration;

import dev.tidemark.error.ChecksumMismatchException;
import dev.tidemark.error.MigrationFailedException;
import dev.tidemark.error.ValidationException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Behaviour every {@link MigrationEngine} shares, run against each store's real server by a subclass. Each test runs
 * on a fresh target (new database, or cleaned indices).
 */
public abstract class MigrationEngineContract {

    /** @param scripts migrations @return an engine on this test's target */
    protected abstract MigrationEngine engine(List<MigrationScript> scripts);

    /** @return the store */
    protected abstract Store store();

    /** @param n a number @return a migration that creates object {@code thing_n} */
    protected abstract String createThing(int n);

    /** @return a migration whose first step succeeds (creating {@code partial}) and whose second fails */
    protected abstract String failingAfterFirstStep();

    /** @param name an object name @return whether the table, collection or index exists */
    protected abstract boolean exists(String name);

    /** @param engine the engine after a failed migration 2; asserts the store-specific aftermath */
    protected abstract void assertAftermathOfFailedMigration(MigrationEngine engine);

    /** @param n a number @return an undo migration that removes what {@link #createThing} created */
    protected abstract String dropThing(int n);

    /** @return an undo migration for {@link #failingAfterFirstStep}: removes {@code partial} */
    protected abstract String dropPartial();

    protected MigrationScript undo(int version, String content) {
        return new MigrationScript(MigrationVersion.parse(Integer.toString(version)), "thing " + version,
            "U" + version + "__thing_" + version + "." + store().extension(), content, Checksums.of(content));
    }

    /** @param n a number @return {@link #createThing} with a harmless trailing line: same effect, other checksum */
    protected MigrationScript editedThing(int n) {
        String trailer = switch (store()) {
            case POSTGRES -> "-- edited";
            case ELASTICSEARCH -> "# edited";
            case MONGODB -> "   ";
        };
        return script(n, createThing(n) + "\n" + trailer + "\n");
    }

    protected List<MigrationScript> undoThings(int from, int to) {
        List<MigrationScript> s = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            s.add(undo(i, dropThing(i)));
        }
        return s;
    }

    protected MigrationScript script(int version, String content) {
        return new MigrationScript(MigrationVersion.parse(Integer.toString(version)), "thing " + version,
            "V" + version + "__thing_" + version + "." + store().extension(), content, Checksums.of(content));
    }

    protected List<MigrationScript> things(int count) {
        List<MigrationScript> s = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            s.add(script(i, createThing(i)));
        }
        return s;
    }

    @Test
    void migrateAppliesPendingMigrationsInOrderAndRecordsThemInTheHistory() {
        try (MigrationEngine engine = engine(things(3))) {
            MigrateResult result = engine.migrate(TargetVersion.LATEST, false);
            assertThat(result.status()).isEqualTo(MigrateResult.Status.MIGRATED);
            assertThat(result.versionBefore()).isNull();
            assertThat(result.versionAfter()).hasToString("3");
            assertThat(result.migrations()).extracting(s -> s.version().toString()).containsExactly("1", "2", "3");
            assertThat(exists("thing_1") && exists("thing_2") && exists("thing_3")).isTrue();
            InfoResult info = engine.info();
            assertThat(info.currentVersion()).hasToString("3");
            assertThat(info.pending()).isEmpty();
            assertThat(info.applied()).hasSize(3).allMatch(AppliedMigration::success);
            assertThat(info.applied()).extracting(AppliedMigration::script).containsExactly(
                "V1__thing_1." + store().extension(), "V2__thing_2." + store().extension(), "V3__thing_3." + store().extension());
        }
    }

    @Test
    void migrateAgainAppliesNothing() {
        try (MigrationEngine engine = engine(things(2))) {
            engine.migrate(TargetVersion.LATEST, false);
            MigrateResult again = engine.migrate(TargetVersion.LATEST, false);
            assertThat(again.status()).isEqualTo(MigrateResult.Status.UP_TO_DATE);
            assertThat(again.migrations()).isEmpty();
            assertThat(again.versionBefore()).hasToString("2");
            assertThat(engine.info().applied()).hasSize(2);
        }
    }

    @Test
    void migrateToATargetVersionStopsThereAndLatestContinues() {
        try (MigrationEngine engine = engine(things(3))) {
            MigrateResult toTwo = engine.migrate(TargetVersion.parse("2"), false);
            assertThat(toTwo.versionAfter()).hasToString("2");
            assertThat(exists("thing_3")).isFalse();
            assertThat(engine.info().pending()).extracting(p -> p.version().toString()).containsExactly("3");
            MigrateResult rest = engine.migrate(TargetVersion.LATEST, false);
            assertThat(rest.migrations()).extracting(s -> s.version().toString()).containsExactly("3");
            assertThat(exists("thing_3")).isTrue();
        }
    }

    @Test
    void migrateToAVersionBelowTheCurrentOneIsRefused() {
        try (MigrationEngine engine = engine(things(2))) {
            engine.migrate(TargetVersion.LATEST, false);
            assertThatThrownBy(() -> engine.migrate(TargetVersion.parse("1"), false))
                .isInstanceOf(ValidationException.class).hasMessageContaining("targetVersion");
        }
    }

    @Test
    void anEditedAppliedMigrationIsAChecksumMismatchAndNothingRuns() {
        try (MigrationEngine engine = engine(things(1))) {
            engine.migrate(TargetVersion.LATEST, false);
        }
        MigrationScript edited = editedThing(1);
        int recorded = Checksums.of(createThing(1));
        List<MigrationScript> scripts = List.of(edited, script(2, createThing(2)));
        try (MigrationEngine engine = engine(scripts)) {
            assertThat(engine.info().drift()).hasSize(1);
            assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining(edited.script())
                .hasMessageContaining(Integer.toString(recorded))
                .hasMessageContaining(Integer.toString(edited.checksum()));
            assertThatThrownBy(engine::validate).isInstanceOf(ChecksumMismatchException.class);
            assertThat(exists("thing_2")).isFalse();
        }
    }

    @Test
    void aFailingMigrationNamesStoreVersionAndScript() {
        List<MigrationScript> scripts = List.of(script(1, createThing(1)), script(2, failingAfterFirstStep()), script(3, createThing(3)));
        try (MigrationEngine engine = engine(scripts)) {
            assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining(store().id())
                .hasMessageContaining("migration 2 (V2__thing_2." + store().extension() + ")")
                .satisfies(e -> assertThat(((MigrationFailedException) e).version()).isEqualTo("2"));
            assertThat(exists("thing_1")).isTrue();
            assertThat(exists("thing_3")).isFalse();
            assertThat(engine.info().currentVersion()).hasToString("1");
            assertAftermathOfFailedMigration(engine);
        }
    }

    @Test
    void aDryRunListsWhatWouldRunAndChangesNothing() {
        try (MigrationEngine engine = engine(things(2))) {
            MigrateResult dry = engine.migrate(TargetVersion.LATEST, true);
            assertThat(dry.status()).isEqualTo(MigrateResult.Status.DRY_RUN);
            assertThat(dry.migrations()).extracting(AppliedStep::script).containsExactly(
                "V1__thing_1." + store().extension(), "V2__thing_2." + store().extension());
            assertThat(dry.versionAfter()).isNull();
            assertThat(exists("thing_1")).isFalse();
            assertThat(engine.info().applied()).isEmpty();
        }
    }

    private static void setPlaceholders(MigrationEngine engine, Placeholders placeholders) {
        if (engine instanceof dev.tidemark.postgres.PostgresEngine pg) {
            pg.placeholders(placeholders);
        } else {
            ((LeasedMigrationEngine<?>) engine).placeholders(placeholders);
        }
    }

    @Test
    void placeholdersAreReplacedAndTheChecksumIsTheFileAsWritten() {
        MigrationScript templated = script(1, createThing(1).replace("thing_1", "${prefix}_1"));
        try (MigrationEngine engine = engine(List.of(templated))) {
            setPlaceholders(engine, new Placeholders(java.util.Map.of("prefix", "thing")));
            engine.migrate(TargetVersion.LATEST, false);
            assertThat(exists("thing_1")).isTrue();
            assertThat(engine.info().applied().getFirst().checksum()).isEqualTo(templated.checksum());
        }
    }

    @Test
    void aPlaceholderWithoutAValueIsRefusedBeforeAnythingRuns() {
        List<MigrationScript> scripts = List.of(script(1, createThing(1)), script(2, createThing(2).replace("thing_2", "${nope}")));
        try (MigrationEngine engine = engine(scripts)) {
            assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("V2__thing_2." + store().extension())
                .hasMessageContaining("${nope}");
            assertThat(exists("thing_1")).isFalse();
            assertThat(engine.info().applied()).isEmpty();
        }
    }

    @Test
    void twoConcurrentMigrateCallsApplyEachMigrationExactlyOnce() throws Exception {
        List<MigrationScript> scripts = things(5);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<MigrateResult>> futures = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                futures.add(pool.submit(() -> {
                    try (MigrationEngine engine = engine(scripts)) {
                        go.await();
                        return engine.migrate(TargetVersion.LATEST, false);
                    }
                }));
            }
            go.countDown();
            List<String> applied = Collections.synchronizedList(new ArrayList<>());
            for (Future<MigrateResult> f : futures) {
                f.get().migrations().forEach(s -> applied.add(s.version().toString()));
            }
            assertThat(applied).containsExactlyInAnyOrder("1", "2", "3", "4", "5");
            try (MigrationEngine engine = engine(scripts)) {
                assertThat(engine.info().applied()).hasSize(5).allMatch(AppliedMigration::success);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void baselineMarksAnExistingTargetAndMigrateContinuesAfterIt() {
        try (MigrationEngine engine = engine(things(3))) {
            engine.baseline(MigrationVersion.parse("2"), "existing schema");
            assertThat(engine.info().currentVersion()).hasToString("2");
            MigrateResult result = engine.migrate(TargetVersion.LATEST, false);
            assertThat(result.migrations()).extracting(s -> s.version().toString()).containsExactly("3");
            assertThat(exists("thing_1")).isFalse();
            assertThatThrownBy(() -> engine.baseline(MigrationVersion.parse("5"), "again")).isInstanceOf(ValidationException.class);
        }
    }

    @Test
    void undoToAVersionRunsUndoMigrationsNewestFirstAndTheVersionsBecomePendingAgain() {
        try (MigrationEngine engine = engine(things(4)).undoScripts(undoThings(1, 4))) {
            engine.migrate(TargetVersion.LATEST, false);
            MigrateResult undone = engine.undo(MigrationVersion.parse("2"), false);
            assertThat(undone.status()).isEqualTo(MigrateResult.Status.UNDONE);
            assertThat(undone.versionBefore()).hasToString("4");
            assertThat(undone.versionAfter()).hasToString("2");
            assertThat(undone.migrations()).extracting(AppliedStep::script)
                .containsExactly("U4__thing_4." + store().extension(), "U3__thing_3." + store().extension());
            assertThat(exists("thing_4") || exists("thing_3")).isFalse();
            assertThat(exists("thing_2")).isTrue();
            InfoResult info = engine.info();
            assertThat(info.currentVersion()).hasToString("2");
            assertThat(info.pending()).extracting(p -> p.version().toString()).containsExactly("3", "4");
            assertThat(info.applied()).filteredOn(a -> InfoResult.UNDONE_TYPE.equals(a.type()))
                .extracting(a -> a.version().toString()).containsExactly("4", "3");
            assertThat(engine.migrate(TargetVersion.LATEST, false).migrations()).hasSize(2);
            assertThat(exists("thing_4")).isTrue();
            assertThat(engine.info().currentVersion()).hasToString("4");
        }
    }

    @Test
    void undoToZeroUndoesEveryVersionAndAgainIsUpToDate() {
        try (MigrationEngine engine = engine(things(2)).undoScripts(undoThings(1, 2))) {
            engine.migrate(TargetVersion.LATEST, false);
            assertThat(engine.undo(MigrationVersion.parse("0"), false).migrations()).hasSize(2);
            assertThat(exists("thing_1")).isFalse();
            assertThat(engine.info().currentVersion()).isNull();
            assertThat(engine.undo(null, false).status()).isEqualTo(MigrateResult.Status.UP_TO_DATE);
        }
    }

    @Test
    void undoPastAVersionWithoutAnUndoMigrationFailsNamingItBeforeAnythingRuns() {
        try (MigrationEngine engine = engine(things(4)).undoScripts(undoThings(3, 4))) {
            engine.migrate(TargetVersion.LATEST, false);
            assertThatThrownBy(() -> engine.undo(MigrationVersion.parse("1"), false))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("version 2 (V2__thing_2." + store().extension() + ")")
                .hasMessageContaining("nothing was undone");
            assertThat(exists("thing_4")).isTrue();
            assertThat(engine.info().currentVersion()).hasToString("4");
        }
    }

    @Test
    void undoToAVersionAboveTheCurrentOneOrNeverAppliedIsRefusedAndChangesNothing() {
        try (MigrationEngine engine = engine(things(3)).undoScripts(undoThings(1, 3))) {
            engine.migrate(TargetVersion.parse("2"), false);
            assertThatThrownBy(() -> engine.undo(MigrationVersion.parse("3"), false))
                .isInstanceOf(ValidationException.class).hasMessageContaining("targetVersion: 3 is above the current version 2");
            assertThatThrownBy(() -> engine.undo(MigrationVersion.parse("1.5"), false))
                .isInstanceOf(ValidationException.class).hasMessageContaining("targetVersion: 1.5 is not an applied version");
            assertThat(exists("thing_2")).isTrue();
            assertThat(engine.info().applied()).hasSize(2);
        }
    }

    @Test
    void anUndoDryRunListsTheResolvedStatementsNewestFirstAndChangesNothing() {
        MigrationScript templated = undo(2, dropThing(2).replace("thing_2", "${prefix}_2"));
        try (MigrationEngine engine = engine(things(2)).undoScripts(List.of(undo(1, dropThing(1)), templated))) {
            setPlaceholders(engine, new Placeholders(java.util.Map.of("prefix", "thing")));
            engine.migrate(TargetVersion.LATEST, false);
            int rows = engine.info().applied().size();
            MigrateResult dry = engine.undo(null, true);
            assertThat(dry.status()).isEqualTo(MigrateResult.Status.DRY_RUN);
            assertThat(dry.migrations()).extracting(AppliedStep::script)
                .containsExactly("U2__thing_2." + store().extension(), "U1__thing_1." + store().extension());
            assertThat(dry.migrations().getFirst().statements()).isNotEmpty().allMatch(st -> !st.contains("${"))
                .anyMatch(st -> st.contains("thing_2"));
            assertThat(exists("thing_2")).isTrue();
            assertThat(engine.info().applied()).hasSize(rows);
            assertThat(engine.undo(null, false).status()).as("no lock left behind").isEqualTo(MigrateResult.Status.UNDONE);
        }
    }

    @Test
    void aMigrateDryRunListsTheStatementsWithPlaceholdersResolved() {
        MigrationScript templated = script(1, createThing(1).replace("thing_1", "${prefix}_1"));
        try (MigrationEngine engine = engine(List.of(templated))) {
            setPlaceholders(engine, new Placeholders(java.util.Map.of("prefix", "thing")));
            List<String> statements = engine.migrate(TargetVersion.LATEST, true).migrations().getFirst().statements();
            assertThat(statements).hasSizeGreaterThanOrEqualTo(2).allMatch(st -> !st.contains("${"));
            assertThat(statements.getFirst()).contains("thing_1");
            assertThat(exists("thing_1")).isFalse();
        }
    }

    @Test
    void aFailedMigrationIsCleanedUpByUndoAndTheTargetMigratesAgainOnceFixed() {
        List<MigrationScript> scripts = List.of(script(1, createThing(1)), script(2, failingAfterFirstStep()));
        List<MigrationScript> undos = List.of(undo(1, dropThing(1)), undo(2, dropPartial()));
        try (MigrationEngine engine = engine(scripts).undoScripts(undos)) {
            assertThatThrownBy(() -> engine.migrate(TargetVersion.LATEST, false)).isInstanceOf(MigrationFailedException.class);
            engine.undo(MigrationVersion.parse("1"), false);
            assertThat(exists("partial")).isFalse();
            InfoResult info = engine.info();
            assertThat(info.failed()).isEmpty();
            assertThat(info.currentVersion()).hasToString("1");
            assertThat(info.pending()).extracting(p -> p.version().toString()).containsExactly("2");
        }
        try (MigrationEngine fixed = engine(List.of(script(1, createThing(1)), script(2, createThing(2))))) {
            assertThat(fixed.migrate(TargetVersion.LATEST, false).versionAfter()).hasToString("2");
        }
    }

    @Test
    void repairRealignsChecksumsOnlyWhenAsked() {
        try (MigrationEngine engine = engine(things(2))) {
            engine.migrate(TargetVersion.LATEST, false);
        }
        List<MigrationScript> edited = List.of(editedThing(1), script(2, createThing(2)));
        try (MigrationEngine engine = engine(edited)) {
            assertThat(engine.repair(false).realigned()).isEmpty();
            assertThatThrownBy(engine::validate).isInstanceOf(ChecksumMismatchException.class);
            RepairResult repaired = engine.repair(true);
            assertThat(repaired.realigned()).extracting(d -> d.version().toString()).containsExactly("1");
            engine.validate();
            assertThat(engine.migrate(TargetVersion.LATEST, false).status()).isEqualTo(MigrateResult.Status.UP_TO_DATE);
        }
    }
}
