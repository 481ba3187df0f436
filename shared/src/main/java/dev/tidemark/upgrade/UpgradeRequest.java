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
 *
 * @param targets the targets, in the order they are migrated; each name once
 * @param dryRun when true nothing is changed and the result lists what would run
 * @param operation migrate or repair
 * @param realignChecksums for a repair: whether drifted checksums are realigned
 */
public record UpgradeRequest(List<UpgradeTarget> targets, boolean dryRun, Operation operation, boolean realignChecksums) {

    /** What the call does on each target. */
    public enum Operation {
        /** Migrate to {@code targetVersion} (default). */
        MIGRATE,
        /** Flyway's repair: remove failed history records; realign checksums when {@code realignChecksums} is true. */
        REPAIR
    }

    private static final Set<String> TOP = Set.of("targets", "dryRun", "operation", "realignChecksums", "execution");
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
        return new UpgradeRequest(targets, dryRun, operation, realign);
    }
}
