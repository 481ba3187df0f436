package dev.tidemark.migration;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the JSON declaration of a backfill or reindex step in a migration file, with the limits and strictness of
 * events ({@link Json#readStrict}): one object, no key twice, no field outside the declaration's.
 */
public final class Declaration {

    private Declaration() {
    }

    /**
     * @param text the declaration's JSON
     * @param where the file and step, for errors, e.g. {@code migration V9__x.sql: backfill}
     * @param fields the fields the declaration may have
     * @return the object
     * @throws ValidationException naming {@code where} and the field
     */
    public static JsonNode object(String text, String where, Set<String> fields) {
        JsonNode d;
        try {
            d = text == null ? null : Json.readStrict(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), where);
        } catch (IOException e) {
            throw new ValidationException(where + ": cannot be read");
        }
        if (d == null || !d.isObject()) {
            throw new ValidationException(where + ": expected a JSON object");
        }
        for (Iterator<String> it = d.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) {
                throw new ValidationException(where + "." + f + ": unknown field; expected " + String.join(", ", new TreeSet<>(fields)));
            }
        }
        return d;
    }

    /**
     * @param d the declaration
     * @param field a field
     * @param where as for {@link #object}
     * @param dflt the value when absent
     * @param min the least value
     * @param max the greatest value
     * @return the field's whole number
     * @throws ValidationException naming the field when it is not a whole number in range
     */
    public static long number(JsonNode d, String field, String where, long dflt, long min, long max) {
        JsonNode v = d.get(field);
        if (v == null) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new ValidationException(where + "." + field + ": expected a whole number from " + min + " to " + max);
        }
        return v.asLong();
    }
}
