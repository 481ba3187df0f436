package dev.tidemark.upgrade;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.TargetVersion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The upgrade event:
 * <pre>{@code
 * {"targets": [{"store": "postgres", "name": "app-db", "targetVersion": "latest"}, ...], "dryRun": false}
 * }</pre>
 * {@code targetVersion} is {@code latest} (default), {@code current} or a version such as {@code 3} or {@code 1.2};
 * an optional {@code location} ({@code s3://bucket/prefix}, {@code filesystem:dir}, {@code classpath:dir}) replaces the
 * configured location for this call. {@code "operation": "repair"} (default {@code migrate}) runs Flyway's repair
 * instead, with {@code "realignChecksums": true} to also realign checksums ({@code targetVersion} is then ignored).
 * {@code "phase"} splits a migrate into the halves of an expand/contract rollout ({@link dev.tidemark.migration.Phase}):
 * {@code expand} applies the expand migrations up to the first contract one, {@code contract} the rest, {@code all}
 * (default) both.
 *
 * @param targets the targets, in the order they are migrated; each name once
 * @param dryRun when true nothing is changed and the result lists what would run
 * @param operation migrate or repair
 * @param realignChecksums for a repair: whether drifted checksums are realigned
 * @param phase for a migrate: which half of an expand/contract rollout runs
 */
public record UpgradeRequest(List<UpgradeTarget> targets, boolean dryRun, Operation operation, boolean realignChecksums, RolloutPhase phase) {

    /** Which migrations of an expand/contract rollout a migrate runs. */
    public enum RolloutPhase {
        /** The expand migrations up to the first pending contract migration: run before the application is deployed. */
        EXPAND,
        /** Every pending migration, once no expand migration is pending before the first contract one: run after the deploy. */
        CONTRACT,
        /** Every pending migration (default). */
        ALL;

        /** @return the event's spelling */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A request of phase {@code all}. */
    public UpgradeRequest(List<UpgradeTarget> targets, boolean dryRun, Operation operation, boolean realignChecksums) {
        this(targets, dryRun, operation, realignChecksums, RolloutPhase.ALL);
    }

    /** What the call does on each target. */
    public enum Operation {
        /** Migrate to {@code targetVersion} (default). */
        MIGRATE,
        /** Flyway's repair: remove failed history records; realign checksums when {@code realignChecksums} is true. */
        REPAIR
    }

    private static final Set<String> TOP = Set.of("targets", "dryRun", "operation", "realignChecksums", "execution", "phase");
    private static final Set<String> ITEM = Set.of("store", "name", "targetVersion", "location");

    /** Canonical constructor: copies the list. */
    public UpgradeRequest {
        targets = List.copyOf(targets);
    }

    /**
     * Parses and checks an event against the configuration. Nothing is touched when this throws.
     *
     * @param event the event JSON
     * @param config the configured targets
     * @return the request
     * @throws ValidationException naming the field (e.g. {@code targets[1].store}) and the problem
     */
    public static UpgradeRequest parse(JsonNode event, TidemarkConfig config) {
        List<JsonNode> items = EventFields.targetItems(event, TOP, ITEM);
        boolean dryRun = EventFields.flag(event, "dryRun");
        List<UpgradeTarget> targets = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String field = EventFields.itemField(i);
            JsonNode item = items.get(i);
            EventFields.Target t = EventFields.target(item, field, config, seen);
            TargetVersion version;
            try {
                version = TargetVersion.parse(EventFields.version(item, "targetVersion", field + "."));
            } catch (ValidationException e) {
                throw new ValidationException(field + "." + e.getMessage());
            }
            targets.add(new UpgradeTarget(t.store(), t.name(), version, t.location()));
        }
        String op = EventFields.choice(event, "operation", "", List.of("migrate", "repair"));
        Operation operation = "repair".equals(op) ? Operation.REPAIR : Operation.MIGRATE;
        boolean realign = EventFields.flag(event, "realignChecksums");
        if (operation == Operation.REPAIR && dryRun) {
            throw new ValidationException("dryRun: not available for a repair; run info (the health check) to see failed records and drift");
        }
        if (realign && operation != Operation.REPAIR) {
            throw new ValidationException("realignChecksums: only for \"operation\": \"repair\"");
        }
        String phase = EventFields.choice(event, "phase", "", List.of("expand", "contract", "all"));
        if (phase != null && operation == Operation.REPAIR) {
            throw new ValidationException("phase: only for a migrate; a repair does not run migrations");
        }
        return new UpgradeRequest(targets, dryRun, operation, realign,
            phase == null ? RolloutPhase.ALL : RolloutPhase.valueOf(phase.toUpperCase(java.util.Locale.ROOT)));
    }
}
