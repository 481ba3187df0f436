package dev.tidemark.upgrade;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.error.ValidationException;
import dev.tidemark.location.Location;
import dev.tidemark.migration.Store;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** Field checks shared by the events of the upgrade, rollback and repair operations; errors name the field. */
public final class EventFields {

    private EventFields() {
    }

    /**
     * A target item of an event, checked against the configuration.
     *
     * @param store the store the event names
     * @param name the target name
     * @param configured the configured target
     * @param location the optional location override, checked, or {@code null}
     */
    public record Target(Store store, String name, TargetConfig configured, String location) {
    }

    /**
     * @param item the item object ({@code store}, {@code name}, optional {@code location})
     * @param field the item's path in the event, e.g. {@code targets[1]}
     * @param config the configured targets
     * @param seen names already seen in this event (the name is added)
     * @return the checked target
     * @throws ValidationException naming the field: unknown store or target, store mismatch, duplicate, bad location
     */
    public static Target target(JsonNode item, String field, TidemarkConfig config, Set<String> seen) {
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
        String location = text(item, "location");
        if (location != null) {
            try {
                Location.parse(location);
            } catch (ValidationException e) {
                throw new ValidationException(field + "." + e.getMessage());
            }
        }
        return new Target(store, name, configured, location);
    }

    /**
     * Checks the shape shared by every event: an object with only {@code top} fields and a non-empty array
     * {@code targets} of objects with only {@code item} fields.
     *
     * @param event the event
     * @param top its allowed fields
     * @param item the allowed fields of a target item
     * @return the target items, in order
     * @throws ValidationException naming the field
     */
    public static List<JsonNode> targetItems(JsonNode event, Set<String> top, Set<String> item) {
        if (event == null || !event.isObject()) {
            throw new ValidationException("event: expected a JSON object with 'targets'");
        }
        unknown(event, top, "");
        JsonNode items = event.get("targets");
        if (items == null || !items.isArray() || items.isEmpty()) {
            throw new ValidationException("targets: missing or empty; expected an array of {store, name, targetVersion}");
        }
        List<JsonNode> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode t = items.get(i);
            if (!t.isObject()) {
                throw new ValidationException(itemField(i) + ": expected an object {store, name, targetVersion}");
            }
            unknown(t, item, itemField(i) + ".");
            out.add(t);
        }
        return out;
    }

    /**
     * @param index an item's index
     * @return its path in the event, e.g. {@code targets[1]}
     */
    public static String itemField(int index) {
        return "targets[" + index + "]";
    }

    /**
     * @param node an object
     * @param key a field
     * @return its text, or {@code null} when absent or null
     * @throws ValidationException naming the field when it is neither a string nor a number
     */
    public static String text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() && !v.isNumber()) {
            throw new ValidationException(key + ": expected a string");
        }
        return v.asText();
    }

    /**
     * @param node an object
     * @param key a field
     * @return its boolean value, {@code false} when absent
     * @throws ValidationException naming the field when it is not a boolean
     */
    public static boolean flag(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v != null && !v.isNull() && !v.isBoolean()) {
            throw new ValidationException(key + ": expected true or false");
        }
        return v != null && v.asBoolean();
    }

    /**
     * @param node an object
     * @param allowed its allowed fields
     * @param prefix the object's path with a trailing dot, or empty
     * @throws ValidationException naming the first unknown field
     */
    public static void unknown(JsonNode node, Set<String> allowed, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new ValidationException(prefix + f + ": unknown field; expected " + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }
}
