package dev.tidemark.migration;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.tidemark.error.ValidationException;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The stores Tidemark migrates, with the migration file extension each uses. */
public enum Store {
    /** PostgreSQL: SQL scripts run by Flyway. */
    POSTGRES("postgres", "sql"),
    /** MongoDB: JSON arrays of database commands in Extended JSON. */
    MONGODB("mongodb", "json"),
    /** Elasticsearch: requests in the Kibana Dev Tools form. */
    ELASTICSEARCH("elasticsearch", "http");

    private final String id;
    private final String extension;

    Store(String id, String extension) {
        this.id = id;
        this.extension = extension;
    }

    /** @return the name used in events, results and configuration, e.g. {@code postgres} */
    @JsonValue
    public String id() {
        return id;
    }

    /** @return the migration file extension without the dot, e.g. {@code sql} */
    public String extension() {
        return extension;
    }

    /**
     * @param value a store name as written in an event or configuration
     * @return the store
     * @throws ValidationException naming the accepted values when {@code value} is unknown or missing
     */
    @JsonCreator
    public static Store of(String value) {
        if (value == null || value.isEmpty()) {
            throw new ValidationException("store: missing; expected one of " + accepted());
        }
        for (Store s : values()) {
            if (s.id.equals(value)) {
                return s;
            }
        }
        throw new ValidationException("store: unknown store" + (value.length() <= 64 && value.matches("[\\x20-\\x7e]*") ? " '" + value + "'" : "")
            + "; expected exactly one of " + accepted());
    }

    private static String accepted() {
        return Arrays.stream(values()).map(Store::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }
}
