package dev.tidemark.upgrade;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.error.ValidationException;
import dev.tidemark.location.Location;
import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The upgrade event:
 * <pre>{@code
 * {"targets": [{"store": "postgres", "name": "app-db", "targetVersion": "latest"}, ...], "dryRun": false}
 * }</pre>
 * {@code targetVersion} is {@code latest} (default), {@code current} or a version such as {@code 3} or {@code 1.2};
 * an optional {@code location} ({@code s3://bucket/prefix}, {@code filesystem:dir}, {@code classpath:dir}) replaces the
 * configured location for this call.
 *
 * @param targets the targets, in the order they are migrated; each name once
 * @param dryRun when true nothing is changed and the result lists what would run
 */
public record UpgradeRequest(List<UpgradeTarget> targets, boolean dryRun) {

    private static final Set<String> TOP = Set.of("targets", "dryRun");
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
        if (event == null || !event.isObject()) {
            throw new ValidationException("event: expected a JSON object with 'targets'");
        }
        unknown(event, TOP, "");
        JsonNode dry = event.get("dryRun");
        if (dry != null && !dry.isNull() && !dry.isBoolean()) {
            throw new ValidationException("dryRun: expected true or false");
        }
        JsonNode items = event.get("targets");
        if (items == null || !items.isArray() || items.isEmpty()) {
            throw new ValidationException("targets: missing or empty; expected an array of {store, name, targetVersion}");
        }
        List<UpgradeTarget> targets = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String field = "targets[" + i + "]";
            JsonNode item = items.get(i);
            if (!item.isObject()) {
                throw new ValidationException(field + ": expected an object {store, name, targetVersion}");
            }
            unknown(item, ITEM, field + ".");
            Store store;
            try {
                store = Store.of(text(item, "store"));
            } catch (ValidationException e) {
                throw new ValidationException(field + "." + e.getMessage());
            }
            String name = text(item, "name");
            if (name == null || name.isBlank()) {
                throw new ValidationException(field + ".name: missing");
            }
            TargetConfig configured = config.target(name).orElseThrow(() -> new ValidationException(field + ".name: unknown target '"
                + name + "'; configured targets: " + String.join(", ", config.targetNames())));
            if (configured.store() != store) {
                throw new ValidationException(field + ".store: target '" + name + "' is a " + configured.store() + " target, not " + store);
            }
            if (!seen.add(name)) {
                throw new ValidationException(field + ".name: target '" + name + "' is listed twice");
            }
            TargetVersion version;
            try {
                version = TargetVersion.parse(text(item, "targetVersion"));
            } catch (ValidationException e) {
                throw new ValidationException(field + "." + e.getMessage());
            }
            String location = text(item, "location");
            if (location != null) {
                try {
                    Location.parse(location);
                } catch (ValidationException e) {
                    throw new ValidationException(field + "." + e.getMessage());
                }
            }
            targets.add(new UpgradeTarget(store, name, version, location));
        }
        return new UpgradeRequest(targets, dry != null && dry.asBoolean());
    }

    private static String text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() && !v.isNumber()) {
            throw new ValidationException(key + ": expected a string");
        }
        return v.asText();
    }

    private static void unknown(JsonNode node, Set<String> allowed, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new ValidationException(prefix + f + ": unknown field; expected " + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }
}
