package dev.tidemark.rollback;

import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.RollbackIncompleteException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.AppliedStep;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.upgrade.EventFields;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Runs a {@link RollbackRequest}: undoes each target to its version ({@link MigrationEngine#undo}). Every target is
 * attempted even when one fails, so a compensation leaves as little changed as it can; if any failed, a
 * {@link RollbackIncompleteException} lists what was rolled back and what was not.
 */
public final class RollbackService {

    private final EngineFactory engines;

    /** @param engines opens target engines */
    public RollbackService(EngineFactory engines) {
        this.engines = engines;
    }

    /**
     * @param request a validated request
     * @return per-target results and a summary
     * @throws RollbackIncompleteException when at least one target could not be rolled back
     */
    public RollbackReport rollback(RollbackRequest request) {
        List<MigrationEngine> opened = new ArrayList<>();
        try {
            if (!request.restoring()) {
                // explicit versions: every target's plan is checked before any target is undone (README: "nothing was undone")
                List<MigrateResult> planned = new ArrayList<>();
                for (int i = 0; i < request.targets().size(); i++) {
                    RollbackTarget t = request.targets().get(i);
                    MigrationEngine engine = engines.open(t.target());
                    opened.add(engine);
                    try {
                        planned.add(engine.undo(t.to(), true));
                    } catch (ValidationException e) {
                        throw new ValidationException(item(i, e.getMessage()) + (request.dryRun() ? "" : "; nothing was undone"), e);
                    }
                }
                if (request.dryRun()) {
                    return new RollbackReport(true, request.failure(), planned, summary(request, planned, List.of()), dataLoss(request, planned));
                }
            }
            // a compensation attempts every target, even when one cannot be undone
            List<MigrateResult> results = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            for (int i = 0; i < request.targets().size(); i++) {
                RollbackTarget t = request.targets().get(i);
                try {
                    MigrationEngine engine;
                    if (request.restoring()) {
                        engine = engines.open(t.target());
                        opened.add(engine);
                    } else {
                        engine = opened.get(i);
                    }
                    results.add(engine.undo(t.to(), request.dryRun()));
                } catch (TidemarkException e) {
                    errors.add(t.target().store().id() + " '" + t.target().name() + "' NOT rolled back: " + e.getMessage());
                }
            }
            String summary = summary(request, results, errors);
            if (!errors.isEmpty()) {
                throw new RollbackIncompleteException(summary);
            }
            return new RollbackReport(request.dryRun(), request.failure(), results, summary, dataLoss(request, results));
        } finally {
            opened.forEach(MigrationEngine::close);
        }
    }

    /** @return {@code <target>: <file>} for each contract migration among the versions undone */
    private List<String> dataLoss(RollbackRequest request, List<MigrateResult> results) {
        List<String> out = new ArrayList<>();
        for (MigrateResult r : results) {
            if (r.migrations().isEmpty()) {
                continue;
            }
            RollbackTarget t = request.targets().stream().filter(x -> x.target().name().equals(r.target())).findFirst().orElseThrow();
            List<dev.tidemark.migration.MigrationScript> versioned = engines.migrations(t.target()).versioned();
            for (AppliedStep step : r.migrations()) {
                versioned.stream().filter(s -> s.version().equals(step.version()) && dev.tidemark.migration.Phase.of(s) == dev.tidemark.migration.Phase.CONTRACT)
                    .forEach(s -> out.add(r.target() + ": " + s.script()));
            }
        }
        return out;
    }

    /** @return the message placed under the event's item: {@code targets[1].targetVersion: ...} or {@code targets[1]: ...} */
    private static String item(int index, String message) {
        return EventFields.itemField(index) + (message.matches("(?s)[A-Za-z]+: .*") ? "." : ": ") + message;
    }

    private static String summary(RollbackRequest request, List<MigrateResult> results, List<String> errors) {
        List<String> parts = new ArrayList<>();
        for (MigrateResult r : results) {
            String who = r.store().id() + " '" + r.target() + "'";
            if (r.migrations().isEmpty()) {
                parts.add(who + " unchanged at " + version(r.versionBefore()));
            } else {
                parts.add(who + (r.status() == MigrateResult.Status.DRY_RUN ? " would go " : " ") + version(r.versionBefore()) + " -> "
                    + (r.status() == MigrateResult.Status.DRY_RUN ? r.targetVersion() : version(r.versionAfter())) + " ("
                    + r.migrations().stream().map(AppliedStep::script).collect(Collectors.joining(", ")) + ")");
            }
        }
        parts.addAll(errors);
        String body = (request.dryRun() ? "Rollback dry run: " : "Rolled back: ") + String.join("; ", parts);
        return request.failure() == null ? body : request.failure() + " | " + body;
    }

    private static String version(Object v) {
        return v == null ? "none" : v.toString();
    }
}
