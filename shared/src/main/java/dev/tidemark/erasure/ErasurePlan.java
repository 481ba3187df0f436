package dev.tidemark.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.migration.Store;
import dev.tidemark.upgrade.EventFields;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An erasure plan: where one store holds a data subject and what happens there on an erasure request (GDPR Art. 17).
 * One file, {@value #FILE}, in each target's migration location, versioned with the migrations. Format (README,
 * "Erasure plan"):
 *
 * <pre>{@code
 * {"subject": {"name": "user", "idType": "integer"},
 *  "tables": [                                                        // PostgreSQL
 *    {"table": "messages", "schema": "public",
 *     "match": {"column": "conversation_id",
 *               "through": [{"table": "conversations", "key": "id", "column": "user_id"}]},
 *     "action": "delete"},
 *    {"table": "audit_log", "match": {"column": "actor_id"}, "action": "anonymise", "set": {"actor_id": null}}],
 *  "collections": [                                                   // MongoDB
 *    {"collection": "profiles", "match": {"field": "userId"}, "action": "anonymise",
 *     "set": {"email": {"pseudonym": true}, "displayName": {"value": "erased"}}, "unset": ["phone"]}],
 *  "indices": [{"index": "tracks", "match": {"field": "owner_id"}, "action": "delete"}]}  // Elasticsearch
 * }</pre>
 *
 * Items run in the order given (children before parents). {@code through} is a join path along keys: the item's column
 * holds a key of the first hop's table, whose {@code column} holds the next hop's key, and so on; the last hop's column
 * holds the subject id. Names are checked against the live schema before anything runs.
 *
 * @param store the store the plan is for
 * @param subject the subject's name (e.g. {@code user}), part of the pseudonym
 * @param idType how the stores hold the subject's id
 * @param items what to erase, in order
 * @param sha256 the SHA-256 of the file's bytes, lower-case hex: the plan version a receipt names
 */
public record ErasurePlan(Store store, String subject, SubjectId.IdType idType, List<Item> items, String sha256) {

    /** The plan's file name in a target's location. */
    public static final String FILE = "erasure.json";
    /** Most items a plan may hold: 200. */
    public static final int MAX_ITEMS = 200;
    /** Most hops in a {@code through} path: 4. */
    public static final int MAX_HOPS = 4;

    /** What happens to the subject's rows, documents or index entries. */
    public enum Action {
        /** removed */
        DELETE,
        /** kept, with the named columns or fields replaced ({@code set}) or removed ({@code unset}) */
        ANONYMISE
    }

    /** What replaces a column's or field's value on {@link Action#ANONYMISE}. */
    public enum Kind {
        /** SQL NULL, BSON null */
        NULL,
        /** a fixed text value, e.g. {@code "erased"} */
        VALUE,
        /** the keyed hash of the subject ({@link SubjectId#pseudonym}) */
        PSEUDONYM
    }

    /**
     * @param kind what replaces the value
     * @param value the fixed value for {@link Kind#VALUE}, else {@code null}
     */
    public record Replacement(Kind kind, String value) {
    }

    /**
     * One step of a join path (PostgreSQL).
     *
     * @param schema the hop table's schema
     * @param table the hop table
     * @param key the column the previous table refers to
     * @param column the column that refers onwards, or (last hop) holds the subject id
     */
    public record Hop(String schema, String table, String key, String column) {
    }

    /**
     * @param field the item's path in the plan, for messages (e.g. {@code tables[2]})
     * @param schema PostgreSQL schema ({@code public} when absent); {@code null} for other stores
     * @param name table, collection, or index or alias
     * @param match the column or field that holds the subject id (or, with hops, the first hop's key)
     * @param through the join path; empty when {@code match} holds the subject id itself
     * @param action delete or anonymise
     * @param set the replacements on anonymise, by column or field, in plan order
     * @param unset fields removed on anonymise (MongoDB)
     */
    public record Item(String field, String schema, String name, String match, List<Hop> through, Action action,
                       Map<String, Replacement> set, List<String> unset) {
    }

    /** @return whether an item replaces a value with the subject's pseudonym (the pseudonym key is then needed) */
    public boolean pseudonymises() {
        return items.stream().anyMatch(i -> i.set().values().stream().anyMatch(r -> r.kind() == Kind.PSEUDONYM));
    }

    /**
     * Reads a plan, strictly: unknown fields, a missing name, an action without replacements (or with them on delete), a
     * list for another store, or names that cannot be identifiers are refused.
     *
     * @param store the target's store
     * @param json the file's content
     * @return the plan
     * @throws ValidationException naming {@value #FILE} and the field
     */
    public static ErasurePlan parse(Store store, String json) {
        JsonNode root;
        try {
            root = Json.readStrict(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), FILE);
        } catch (IOException e) {
            throw new ValidationException(FILE + ": cannot be read");
        }
        String p = FILE + ": ";
        if (!root.isObject()) {
            throw new ValidationException(p + "expected an object");
        }
        String listKey = switch (store) {
            case POSTGRES -> "tables";
            case MONGODB -> "collections";
            case ELASTICSEARCH -> "indices";
        };
        EventFields.unknown(root, Set.of("subject", listKey), p);
        JsonNode subject = root.path("subject");
        if (!subject.isObject()) {
            throw new ValidationException(p + "subject: expected {\"name\": ..., \"idType\": \"integer|string|uuid\"}");
        }
        EventFields.unknown(subject, Set.of("name", "idType"), p + "subject.");
        String name = required(subject, "name", p + "subject.", 64);
        if (!name.matches("[a-z][a-z0-9_]*")) {
            throw new ValidationException(p + "subject.name: expected a lower-case word (letters, digits, '_')");
        }
        String idType = EventFields.choice(subject, "idType", p + "subject.", List.of("integer", "string", "uuid"));
        if (idType == null) {
            throw new ValidationException(p + "subject.idType: missing; expected integer, string or uuid");
        }
        JsonNode list = root.path(listKey);
        if (!list.isArray() || list.isEmpty()) {
            throw new ValidationException(p + listKey + ": expected a non-empty array");
        }
        if (list.size() > MAX_ITEMS) {
            throw new ValidationException(p + listKey + ": more than " + MAX_ITEMS + " items");
        }
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            items.add(item(store, list.get(i), listKey + "[" + i + "]"));
        }
        return new ErasurePlan(store, name, SubjectId.IdType.valueOf(idType.toUpperCase(java.util.Locale.ROOT)), List.copyOf(items),
            sha256(json));
    }

    private static Item item(Store store, JsonNode n, String field) {
        String p = FILE + ": " + field + ".";
        if (!n.isObject()) {
            throw new ValidationException(FILE + ": " + field + ": expected an object");
        }
        String nameKey = switch (store) {
            case POSTGRES -> "table";
            case MONGODB -> "collection";
            case ELASTICSEARCH -> "index";
        };
        Set<String> allowed = switch (store) {
            case POSTGRES -> Set.of("table", "schema", "match", "action", "set");
            case MONGODB -> Set.of("collection", "match", "action", "set", "unset");
            case ELASTICSEARCH -> Set.of("index", "match", "action");
        };
        EventFields.unknown(n, allowed, p);
        String name = required(n, nameKey, p, 255);
        String schema = store == Store.POSTGRES ? n.hasNonNull("schema") ? required(n, "schema", p, 63) : "public" : null;
        JsonNode match = n.path("match");
        if (!match.isObject()) {
            throw new ValidationException(p + "match: expected an object");
        }
        String matchKey = store == Store.POSTGRES ? "column" : "field";
        EventFields.unknown(match, store == Store.POSTGRES ? Set.of("column", "through") : Set.of("field"), p + "match.");
        String column = required(match, matchKey, p + "match.", 255);
        if (store != Store.POSTGRES) {
            fieldPath(column, p + "match.field");
        }
        List<Hop> hops = new ArrayList<>();
        JsonNode through = match.path("through");
        if (!through.isMissingNode() && !through.isNull()) {
            if (!through.isArray() || through.isEmpty() || through.size() > MAX_HOPS) {
                throw new ValidationException(p + "match.through: expected an array of 1 to " + MAX_HOPS + " hops");
            }
            for (int h = 0; h < through.size(); h++) {
                JsonNode hop = through.get(h);
                String hp = p + "match.through[" + h + "].";
                if (!hop.isObject()) {
                    throw new ValidationException(hp.substring(0, hp.length() - 1) + ": expected an object");
                }
                EventFields.unknown(hop, Set.of("schema", "table", "key", "column"), hp);
                hops.add(new Hop(hop.hasNonNull("schema") ? required(hop, "schema", hp, 63) : "public", required(hop, "table", hp, 63),
                    required(hop, "key", hp, 63), required(hop, "column", hp, 63)));
            }
        }
        String actionText = EventFields.choice(n, "action", p, List.of("delete", "anonymise"));
        if (actionText == null) {
            throw new ValidationException(p + "action: missing; expected delete" + (store == Store.ELASTICSEARCH ? "" : " or anonymise"));
        }
        Action action = actionText.equals("delete") ? Action.DELETE : Action.ANONYMISE;
        if (store == Store.ELASTICSEARCH && action != Action.DELETE) {
            throw new ValidationException(p + "action: Elasticsearch entries are deleted; anonymise is for PostgreSQL and MongoDB");
        }
        Map<String, Replacement> set = new LinkedHashMap<>();
        JsonNode setNode = n.path("set");
        if (!setNode.isMissingNode()) {
            if (!setNode.isObject()) {
                throw new ValidationException(p + "set: expected an object of column: null | {\"value\": ...} | {\"pseudonym\": true}");
            }
            for (var e : setNode.properties()) {
                String target = EventFields.checked(e.getKey(), p + "set", 255, false);
                if (store == Store.MONGODB) {
                    fieldPath(target, p + "set." + target);
                }
                set.put(target, replacement(e.getValue(), p + "set." + target));
            }
        }
        List<String> unset = new ArrayList<>();
        JsonNode unsetNode = n.path("unset");
        if (!unsetNode.isMissingNode()) {
            if (!unsetNode.isArray()) {
                throw new ValidationException(p + "unset: expected an array of field names");
            }
            for (int u = 0; u < unsetNode.size(); u++) {
                if (!unsetNode.get(u).isTextual()) {
                    throw new ValidationException(p + "unset[" + u + "]: expected a field name");
                }
                unset.add(fieldPath(unsetNode.get(u).asText(), p + "unset[" + u + "]"));
            }
        }
        if (action == Action.DELETE && (!set.isEmpty() || !unset.isEmpty())) {
            throw new ValidationException(p + "set: only for action anonymise");
        }
        if (action == Action.ANONYMISE && set.isEmpty() && unset.isEmpty()) {
            throw new ValidationException(p + "set: anonymise needs at least one column or field to replace");
        }
        return new Item(field, schema, name, column, List.copyOf(hops), action, java.util.Collections.unmodifiableMap(set), List.copyOf(unset));
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static Replacement replacement(JsonNode v, String field) {
        if (v.isNull()) {
            return new Replacement(Kind.NULL, null);
        }
        if (v.isObject() && v.size() == 1 && v.path("value").isTextual()) {
            return new Replacement(Kind.VALUE, EventFields.checked(v.path("value").asText(), field + ".value", 1024, false));
        }
        if (v.isObject() && v.size() == 1 && v.path("pseudonym").isBoolean() && v.path("pseudonym").asBoolean()) {
            return new Replacement(Kind.PSEUDONYM, null);
        }
        throw new ValidationException(field + ": expected null, {\"value\": \"...\"} or {\"pseudonym\": true}");
    }

    private static String required(JsonNode n, String key, String prefix, int max) {
        String v = EventFields.text(n, key, prefix, max);
        if (v == null || v.isEmpty()) {
            throw new ValidationException(prefix + key + ": missing");
        }
        return v;
    }

    /** MongoDB and Elasticsearch field paths: dot-separated names, none empty or starting with {@code $}. */
    private static String fieldPath(String path, String field) {
        for (String part : path.split("\\.", -1)) {
            if (part.isEmpty() || part.startsWith("$")) {
                throw new ValidationException(field + ": not a field path (dot-separated names, none empty or starting with '$')");
            }
        }
        return path;
    }
}
