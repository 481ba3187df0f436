package dev.tidemark.migration;

import dev.tidemark.error.ValidationException;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What an undo to a version runs, decided before anything runs, by one rule for every store: the applied versions
 * above the target version, and failed versions above it (cleaned up), newest first, each with its undo migration.
 *
 * @param store the store
 * @param target the target name
 * @param to the version the target is at afterwards, or {@code null} for none
 * @param steps what runs, newest version first
 */
public record UndoPlan(Store store, String target, MigrationVersion to, List<Step> steps) {

    /**
     * One version to undo.
     *
     * @param version the version
     * @param undo its undo migration
     * @param cleanup whether the version is recorded as failed (its undo cleans up what the failed run left)
     */
    public record Step(MigrationVersion version, MigrationScript undo, boolean cleanup) {
    }

    /** Canonical constructor: copies the list. */
    public UndoPlan {
        steps = List.copyOf(steps);
    }

    /** @return the version asked for, as results show it: {@code 0} for none */
    public String asked() {
        return to == null ? "0" : to.toString();
    }

    /**
     * @param before the target's state
     * @param statements what each step would send
     * @param executionTimeMs how long the call took
     * @return the result of a dry run: every step with its statements, nothing changed
     */
    public MigrateResult dryRun(InfoResult before, java.util.function.Function<Step, List<String>> statements, long executionTimeMs) {
        return new MigrateResult(store, target, asked(), before.currentVersion(), before.currentVersion(),
            steps.stream().map(s -> new AppliedStep(s.version(), s.undo().description(), s.undo().script(), 0, statements.apply(s))).toList(),
            MigrateResult.Status.DRY_RUN, executionTimeMs);
    }

    /**
     * @param before the target's state
     * @param executionTimeMs how long the call took
     * @return the result of an undo with nothing to do
     */
    public MigrateResult upToDate(InfoResult before, long executionTimeMs) {
        return new MigrateResult(store, target, asked(), before.currentVersion(), before.currentVersion(), List.of(),
            MigrateResult.Status.UP_TO_DATE, executionTimeMs);
    }

    /**
     * @param version a version, or {@code null}
     * @return {@code null} for {@code null} or {@code 0} (nothing applied), else the version
     */
    public static MigrationVersion normalise(MigrationVersion version) {
        return version == null || version.parts().stream().allMatch(p -> p.equals(BigInteger.ZERO)) ? null : version;
    }

    /**
     * @param info the target's state
     * @param undoScripts the undo migrations at the location
     * @param to the version the target is at afterwards; {@code null} or {@code 0} for none
     * @return the plan
     * @throws ValidationException naming the field or version: {@code to} above the current version or never applied,
     *         a baseline above {@code to}, a version without an undo migration, or an applied migration whose file
     *         changed
     */
    public static UndoPlan of(InfoResult info, List<MigrationScript> undoScripts, MigrationVersion to) {
        MigrationVersion target = normalise(to);
        String where = info.store().id() + " target '" + info.target() + "'";
        List<AppliedMigration> appliedNow = info.appliedNow();
        if (target != null) {
            if (info.currentVersion() == null || target.compareTo(info.currentVersion()) > 0) {
                throw new ValidationException("targetVersion: " + target + " is above the current version "
                    + (info.currentVersion() == null ? "(none)" : info.currentVersion()) + " of " + where + "; rollback only goes back");
            }
            if (appliedNow.stream().noneMatch(a -> a.version().equals(target))) {
                throw new ValidationException("targetVersion: " + target + " is not an applied version of " + where + " (applied: "
                    + appliedNow.stream().map(a -> a.version().toString()).collect(Collectors.joining(", ")) + ")");
            }
        }
        info.requireNoDrift();
        Map<MigrationVersion, MigrationScript> byVersion = undoScripts.stream()
            .collect(Collectors.toMap(MigrationScript::version, Function.identity()));
        List<AppliedMigration> toUndo = new ArrayList<>();
        for (AppliedMigration a : appliedNow) {
            if (target == null || a.version().compareTo(target) > 0) {
                toUndo.add(a);
            }
        }
        for (AppliedMigration f : info.failed()) {
            if (target == null || f.version().compareTo(target) > 0) {
                toUndo.add(f);
            }
        }
        toUndo.sort(Comparator.comparing(AppliedMigration::version).reversed());
        List<String> missing = new ArrayList<>();
        List<Step> steps = new ArrayList<>();
        for (AppliedMigration a : toUndo) {
            if ("BASELINE".equals(a.type())) {
                throw new ValidationException("targetVersion: version " + a.version() + " of " + where
                    + " is a baseline and cannot be undone; choose a target version at or above it");
            }
            MigrationScript undo = byVersion.get(a.version());
            if (undo == null) {
                missing.add(a.version() + " (" + a.script() + ")");
            } else {
                steps.add(new Step(a.version(), undo, !a.success()));
            }
        }
        if (!missing.isEmpty()) {
            throw new ValidationException(where + ": no undo migration U<version>__<description>." + info.store().extension()
                + " for version " + String.join(", ", missing) + "; nothing was undone");
        }
        return new UndoPlan(info.store(), info.target(), target, steps);
    }
}
