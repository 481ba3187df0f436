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
            store = Store.of(text(item, "store", field + ".", 64));
        } catch (ValidationException e) {
            throw e.getMessage().startsWith(field) ? e : new ValidationException(field + "." + e.getMessage());
        }
        String name = text(item, "name", field + ".", 64);
        if (name == null || name.isBlank()) {
            throw new ValidationException(field + ".name: missing");
        }
        TargetConfig configured = config.target(name).orElseThrow(() -> new ValidationException(field + ".name: unknown target '" + name + "'; configured targets: "
            + String.join(", ", config.targetNames())));
        if (configured.store() != store) {
            throw new ValidationException(field + ".store: target '" + name + "' is a " + configured.store() + " target, not " + store);
        }
        if (!seen.add(name)) {
            throw new ValidationException(field + ".name: target '" + name + "' is listed twice");
        }
        String location = text(item, "location", field + ".", MAX_TEXT);
        if (location != null) {
            try {
                config.eventLocation(location);
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
        return targetItems(event, top, item, "targets");
    }

    /** Most targets one event may name. */
    public static final int MAX_TARGETS = 50;

    /**
     * As {@link #targetItems(JsonNode, Set, Set)}, with the array under another key.
     *
     * @param event the event
     * @param top its allowed fields
     * @param item the allowed fields of a target item
     * @param key the array's key
     * @return the target items, in order
     * @throws ValidationException naming the field
     */
    public static List<JsonNode> targetItems(JsonNode event, Set<String> top, Set<String> item, String key) {
        if (event == null || !event.isObject()) {
            throw new ValidationException("event: expected a JSON object with '" + key + "'");
        }
        unknown(event, top, "");
        JsonNode items = event.get(key);
        if (items == null || !items.isArray() || items.isEmpty()) {
            throw new ValidationException(key + ": missing or empty; expected an array of {store, name, targetVersion}");
        }
        if (items.size() > MAX_TARGETS) {
            throw new ValidationException(key + ": more than " + MAX_TARGETS + " items");
        }
        List<JsonNode> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode t = items.get(i);
            String field = key + "[" + i + "]";
            if (!t.isObject()) {
                throw new ValidationException(field + ": expected an object {store, name, targetVersion}");
            }
            unknown(t, item, field + ".");
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

    /** Longest string accepted in an event field that is not a query or a document: 1024 characters. */
    public static final int MAX_TEXT = 1024;

    /**
     * @param node an object
     * @param key a field
     * @return its text, or {@code null} when absent or null
     * @throws ValidationException naming the field when it is not a string, holds a control character or is longer than
     *                             {@link #MAX_TEXT}
     */
    public static String text(JsonNode node, String key) {
        return text(node, key, "", MAX_TEXT);
    }

    /**
     * @param node an object
     * @param key a field
     * @param prefix the object's path with a trailing dot, or empty
     * @param max the longest value accepted, in characters
     * @return its text, or {@code null} when absent or null
     * @throws ValidationException naming {@code prefix + key} when it is not a string, is longer than {@code max}, or holds
     *                             a control character (NUL, line breaks, ...): no field of an event needs one
     */
    public static String text(JsonNode node, String key, String prefix, int max) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new ValidationException(prefix + key + ": expected a string, got " + kind(v));
        }
        return checked(v.asText(), prefix + key, max, false);
    }

    /**
     * @param value a string from an event
     * @param field its path, for the message
     * @param max the longest value accepted, in characters
     * @param multiline whether line breaks and tabs are allowed (queries)
     * @return the value
     * @throws ValidationException naming the field when it is too long or holds a control character
     */
    public static String checked(String value, String field, int max, boolean multiline) {
        if (value.length() > max) {
            throw new ValidationException(field + ": longer than " + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f) {
                throw new ValidationException(field + ": holds a control character (U+" + String.format("%04X", (int) ch) + ") at position " + i);
            }
        }
        return value;
    }

    /**
     * A version field: a string, or a whole number written without quotes ({@code "targetVersion": 3}).
     *
     * @param node an object
     * @param key a field
     * @param prefix the object's path with a trailing dot, or empty
     * @return its text, or {@code null} when absent or null
     * @throws ValidationException naming the field when it is of another type, too long, or holds a control character
     */
    public static String version(JsonNode node, String key, String prefix) {
        JsonNode v = node.get(key);
        if (v != null && v.isIntegralNumber() && v.canConvertToLong() && v.asLong() >= 0) {
            return v.asText();
        }
        return text(node, key, prefix, 64);
    }

    /** @return the JSON type of a node, for messages: string, number, boolean, array, object, null */
    public static String kind(JsonNode v) {
        return v.isTextual() ? "a string" : v.isNumber() ? "a number" : v.isBoolean() ? "a boolean" : v.isArray() ? "an array"
            : v.isObject() ? "an object" : "null";
    }

    /**
     * An exact choice among lower-case words: no trimming, no case folding.
     *
     * @param node an object
     * @param key a field
     * @param prefix the object's path with a trailing dot, or empty
     * @param allowed the accepted values
     * @return the value, or {@code null} when absent or null
     * @throws ValidationException naming the field and the accepted values otherwise
     */
    public static String choice(JsonNode node, String key, String prefix, List<String> allowed) {
        String v = text(node, key, prefix, 64);
        if (v != null && !allowed.contains(v)) {
            throw new ValidationException(prefix + key + ": '" + v + "' is not one of " + String.join(", ", allowed));
        }
        return v;
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
            throw new ValidationException(key + ": expected true or false, got " + kind(v));
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
                String shown = f.length() > 64 || !f.matches("[\\x20-\\x7e]*") ? "(an unprintable or long name)" : f;
                throw new ValidationException(prefix + shown + ": unknown field; expected " + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }
}
