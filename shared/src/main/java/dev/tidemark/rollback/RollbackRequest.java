package dev.tidemark.rollback;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.upgrade.EventFields;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The rollback event. Either explicit versions:
 * <pre>{@code
 * {"targets": [{"store": "postgres", "name": "app-db", "targetVersion": "5"}], "dryRun": false}
 * }</pre>
 * or the versions a rollout recorded before it changed anything: {@code restore} is the rollout's preflight health
 * report, and each target goes back to its {@code currentVersion} there. The targets are then either {@code targets}
 * without {@code targetVersion} (giving both is an error), or {@code rolloutTargets}, the rollout's own upgrade items,
 * whose {@code targetVersion} is what the upgrade aimed for and is not used:
 * <pre>{@code
 * {"rolloutTargets": [...], "restore": {"targets": [{"name": "app-db", "reachable": true, "currentVersion": "5", ...}]},
 *  "failure": {"Error": "...", "Cause": "..."}}
 * }</pre>
 * {@code targetVersion} {@code 0}, or a recorded {@code "currentVersion": null} (an empty target), undoes every version.
 * A restore item without {@code currentVersion}, or of a target that was not reachable, is refused: a typo never means
 * "undo everything". {@code failure}, optional, is the
 * error a Step Functions {@code Catch} caught; its message leads the report's summary.
 *
 * @param targets the targets, in event order
 * @param dryRun when true nothing is changed and the result lists the undo statements that would run
 * @param failure the failure that caused the rollback, as text, or {@code null}
 * @param restoring whether the versions come from {@code restore} (a rollout's compensation: every target is attempted
 *                  even when one cannot be undone); otherwise every target is checked before any is undone
 */
public record RollbackRequest(List<RollbackTarget> targets, boolean dryRun, String failure, boolean restoring) {

    private static final Set<String> TOP = Set.of("targets", "rolloutTargets", "restore", "failure", "dryRun", "execution");
    private static final Set<String> ITEM = Set.of("store", "name", "targetVersion", "location");

    /** Canonical constructor: copies the list. */
    public RollbackRequest {
        targets = List.copyOf(targets);
    }

    /**
     * Parses and checks an event against the configuration. Nothing is touched when this throws.
     *
     * @param event the event JSON
     * @param config the configured targets
     * @return the request
     * @throws ValidationException naming the field (e.g. {@code targets[0].targetVersion}) and the problem
     */
    public static RollbackRequest parse(JsonNode event, TidemarkConfig config) {
        JsonNode restore = event == null ? null : event.get("restore");
        boolean restoring = restore != null && !restore.isNull();
        boolean fromRollout = event != null && event.isObject() && event.has("rolloutTargets");
        if (fromRollout && event.has("targets")) {
            throw new ValidationException("rolloutTargets: give either targets or rolloutTargets, not both");
        }
        if (fromRollout && !restoring) {
            throw new ValidationException("rolloutTargets: only with restore (the rollout's preflight health report)");
        }
        List<JsonNode> items = EventFields.targetItems(event, TOP, ITEM, fromRollout ? "rolloutTargets" : "targets");
        boolean dryRun = EventFields.flag(event, "dryRun");
        if (restoring && (!restore.isObject() || !restore.path("targets").isArray())) {
            throw new ValidationException("restore: expected the rollout's preflight health report, with 'targets'");
        }
        List<RollbackTarget> targets = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String field = (fromRollout ? "rolloutTargets" : "targets") + "[" + i + "]";
            JsonNode item = items.get(i);
            EventFields.Target t = EventFields.target(item, field, config, seen);
            if (restoring && !fromRollout && item.has("targetVersion")) {
                throw new ValidationException(field + ".targetVersion: not allowed with restore, which gives the version to go back to");
            }
            MigrationVersion to = !restoring
                ? version(EventFields.version(item, "targetVersion", field + "."), field + ".targetVersion")
                : recorded(restore, t.name());
            targets.add(new RollbackTarget(t.configured().withLocation(t.location()), to));
        }
        return new RollbackRequest(targets, dryRun, failureText(event.get("failure")), restoring);
    }

    private static MigrationVersion version(String text, String field) {
        if (text == null || text.isBlank()) {
            throw new ValidationException(field + ": missing; give the version to go back to (e.g. 3, or 0 to undo every version)");
        }
        if (text.equalsIgnoreCase("latest") || text.equalsIgnoreCase("current")) {
            throw new ValidationException(field + ": '" + text + "' is not a version to go back to; give one such as 3, or 0 to undo every version");
        }
        try {
            return MigrationVersion.parse(text);
        } catch (ValidationException e) {
            throw new ValidationException(field + ": " + e.getMessage().replaceFirst("^version: ", ""));
        }
    }

    private static MigrationVersion recorded(JsonNode restore, String name) {
        JsonNode found = null;
        for (int i = 0; i < restore.get("targets").size(); i++) {
            JsonNode t = restore.get("targets").get(i);
            String field = "restore.targets[" + i + "]";
            if (!t.isObject() || !t.path("name").isTextual()) {
                throw new ValidationException(field + ": expected a target of a health report, with name and currentVersion");
            }
            if (name.equals(t.get("name").asText())) {
                if (found != null) {
                    throw new ValidationException(field + ".name: target '" + name + "' is recorded twice");
                }
                found = t;
                if (!t.has("currentVersion")) {
                    throw new ValidationException(field + ".currentVersion: missing; the version to go back to must be recorded (null for an "
                        + "empty target)");
                }
                if (!t.path("reachable").isBoolean() || !t.get("reachable").asBoolean()) {
                    throw new ValidationException(field + ".reachable: the target was not reachable when its version was recorded");
                }
            }
        }
        if (found == null) {
            throw new ValidationException("restore.targets: no recorded version for target '" + name + "'");
        }
        JsonNode v = found.get("currentVersion");
        return v.isNull() ? null : version(EventFields.version(found, "currentVersion", "restore.targets[" + name + "]."),
            "restore.targets[" + name + "].currentVersion");
    }

    /** @return the text on one line, at most 2,000 characters: the reply never echoes unbounded input */
    private static String bounded(String text) {
        String one = text.replaceAll("\\p{Cntrl}+", " ");
        return one.length() > 2000 ? one.substring(0, 2000) + "..." : one;
    }

    /** The message of a Step Functions error ({@code Cause} is Lambda's JSON {@code errorMessage}) or the text given. */
    private static String failureText(JsonNode failure) {
        if (failure == null || failure.isNull()) {
            return null;
        }
        if (failure.isTextual()) {
            return bounded(failure.asText());
        }
        String cause = failure.path("Cause").asText("");
        String message = cause;
        try {
            JsonNode parsed = Json.MAPPER.readTree(cause);
            if (parsed != null && parsed.hasNonNull("errorMessage")) {
                message = parsed.get("errorMessage").asText();
            }
        } catch (java.io.IOException notJson) {
            // the cause is plain text (e.g. a health summary)
        }
        String error = failure.path("Error").asText("");
        return bounded(message.isBlank() ? error : message);
    }
}
