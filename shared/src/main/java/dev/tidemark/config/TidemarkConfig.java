package dev.tidemark.config;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.location.Location;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Function configuration, read from environment variables that template.yaml sets:
 * <ul>
 *   <li>{@code TIDEMARK_TARGETS}: JSON array of {@code {name, store, secretId, location, database?, bulkAllow?}}
 *       ({@code bulkAllow}: patterns of the names bulk functions may use, see {@link TargetConfig#requireBulkAllowed});</li>
 *   <li>{@code TIDEMARK_LOCK_WAIT_SECONDS}: how long migrate waits for a held lock before
 *       {@link dev.tidemark.error.LockContentionException} (default 30);</li>
 *   <li>{@code TIDEMARK_LEASE_SECONDS}: lease length for MongoDB/Elasticsearch locks (default 60);</li>
 *   <li>{@code TIDEMARK_SECRET_CACHE_SECONDS}: secret cache age (default 300);</li>
 *   <li>{@code TIDEMARK_PLACEHOLDERS}: JSON object of placeholder values for {@code ${name}} in migration files
 *       (default none; see {@link Placeholders}).</li>
 *   <li>{@code TIDEMARK_LOCATION_ROOTS}: JSON array of locations under which an event's {@code targets[].location} may
 *       point (default none: events may name S3 locations only; see {@link Location#parseOverride}).</li>
 *   <li>{@code TIDEMARK_LOCK_TIMEOUT_MS}: PostgreSQL's {@code lock_timeout} for every migration statement and backfill
 *       batch, in milliseconds (default 5000, at least 100): a statement that waits longer for a lock is cancelled and
 *       retried with back-off, so the application's queries never queue behind it for longer.</li>
 * </ul>
 *
 * @param targets the configured targets, unique by name
 * @param lockWaitSeconds seconds to wait for a held lock
 * @param leaseSeconds lease length in seconds
 * @param secretCacheSeconds secret cache age in seconds
 * @param placeholders placeholder values for migration files
 * @param locationRoots where an event's location override may point
 * @param lockTimeoutMillis PostgreSQL {@code lock_timeout} of migration statements and backfill batches, in milliseconds
 */
public record TidemarkConfig(List<TargetConfig> targets, int lockWaitSeconds, int leaseSeconds, int secretCacheSeconds,
                             Placeholders placeholders, List<Location> locationRoots, int lockTimeoutMillis) {

    /** Default {@code lock_timeout}: 5 s. */
    public static final int DEFAULT_LOCK_TIMEOUT_MILLIS = 5000;

    /**
     * A configuration with the default {@code lock_timeout}.
     *
     * @param targets the configured targets, unique by name
     * @param lockWaitSeconds seconds to wait for a held lock
     * @param leaseSeconds lease length in seconds
     * @param secretCacheSeconds secret cache age in seconds
     * @param placeholders placeholder values for migration files
     * @param locationRoots where an event's location override may point
     */
    public TidemarkConfig(List<TargetConfig> targets, int lockWaitSeconds, int leaseSeconds, int secretCacheSeconds, Placeholders placeholders,
                          List<Location> locationRoots) {
        this(targets, lockWaitSeconds, leaseSeconds, secretCacheSeconds, placeholders, locationRoots, DEFAULT_LOCK_TIMEOUT_MILLIS);
    }

    /**
     * @param millis another {@code lock_timeout}, in milliseconds
     * @return this configuration with it
     */
    public TidemarkConfig withLockTimeoutMillis(int millis) {
        return new TidemarkConfig(targets, lockWaitSeconds, leaseSeconds, secretCacheSeconds, placeholders, locationRoots, millis);
    }

    /** Canonical constructor: copies the lists. */
    public TidemarkConfig {
        if (lockTimeoutMillis < 100) {
            throw new ValidationException("TIDEMARK_LOCK_TIMEOUT_MS: " + lockTimeoutMillis + " is below 100; a lock_timeout of 0 would let a migration"
                + " queue the application's queries behind it");
        }
        targets = List.copyOf(targets);
        locationRoots = List.copyOf(locationRoots);
    }

    /**
     * A configuration without location roots.
     *
     * @param targets the configured targets, unique by name
     * @param lockWaitSeconds seconds to wait for a held lock
     * @param leaseSeconds lease length in seconds
     * @param secretCacheSeconds secret cache age in seconds
     * @param placeholders placeholder values for migration files
     */
    public TidemarkConfig(List<TargetConfig> targets, int lockWaitSeconds, int leaseSeconds, int secretCacheSeconds, Placeholders placeholders) {
        this(targets, lockWaitSeconds, leaseSeconds, secretCacheSeconds, placeholders, List.of());
    }

    /**
     * @param text an event's location override
     * @return it, checked against {@link #locationRoots()}
     * @throws ValidationException naming {@code location} when it is refused
     */
    public Location eventLocation(String text) {
        return Location.parseOverride(text, locationRoots);
    }

    /**
     * @param env environment variables
     * @return the configuration
     * @throws ValidationException naming the variable and the problem
     */
    public static TidemarkConfig fromEnvironment(Map<String, String> env) {
        String raw = env.get("TIDEMARK_TARGETS");
        if (raw == null || raw.isBlank()) {
            throw new ValidationException("TIDEMARK_TARGETS: not set; expected a JSON array of {name, store, secretId, location}");
        }
        List<Map<String, Object>> items;
        try {
            items = Json.MAPPER.readValue(raw, new TypeReference<>() {
            });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ValidationException("TIDEMARK_TARGETS: not a JSON array of objects");
        }
        List<TargetConfig> targets = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            Map<String, Object> item = items.get(i);
            String field = "TIDEMARK_TARGETS[" + i + "]";
            String name = string(item, "name", field);
            if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
                throw new ValidationException(field + ".name: missing or not of the form [A-Za-z0-9][A-Za-z0-9_.-]*");
            }
            if (!names.add(name)) {
                throw new ValidationException(field + ".name: '" + name + "' is configured twice");
            }
            Store store;
            try {
                store = Store.of(string(item, "store", field));
            } catch (ValidationException e) {
                throw new ValidationException(field + "." + e.getMessage());
            }
            String secretId = string(item, "secretId", field);
            if (secretId == null || secretId.isBlank()) {
                throw new ValidationException(field + ".secretId: missing");
            }
            try {
                Location.parse(string(item, "location", field));
            } catch (ValidationException e) {
                throw new ValidationException(field + "." + e.getMessage());
            }
            List<String> allow = new ArrayList<>();
            Object patterns = item.get("bulkAllow");
            if (patterns != null) {
                if (!(patterns instanceof List<?> list)) {
                    throw new ValidationException(field + ".bulkAllow: expected an array of name patterns");
                }
                for (Object p : list) {
                    if (!(p instanceof String text) || !text.matches("[A-Za-z0-9_.$*-]{1,256}")) {
                        throw new ValidationException(field + ".bulkAllow: expected name patterns of letters, digits, '_', '.', '$', '-' and '*'");
                    }
                    allow.add(text);
                }
            }
            targets.add(new TargetConfig(name, store, secretId, string(item, "location", field), string(item, "database", field), allow));
        }
        return new TidemarkConfig(targets, intSetting(env, "TIDEMARK_LOCK_WAIT_SECONDS", 30), intSetting(env, "TIDEMARK_LEASE_SECONDS", 60),
            intSetting(env, "TIDEMARK_SECRET_CACHE_SECONDS", 300), placeholders(env.get("TIDEMARK_PLACEHOLDERS")),
            roots(env.get("TIDEMARK_LOCATION_ROOTS")), intSetting(env, "TIDEMARK_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MILLIS));
    }

    private static List<Location> roots(String raw) {
        if (raw == null || raw.isBlank()) {
            return List.of();
        }
        List<String> items;
        try {
            items = Json.MAPPER.readValue(raw, new TypeReference<>() {
            });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ValidationException("TIDEMARK_LOCATION_ROOTS: not a JSON array of locations");
        }
        List<Location> roots = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            try {
                roots.add(Location.parse(items.get(i)));
            } catch (ValidationException e) {
                throw new ValidationException("TIDEMARK_LOCATION_ROOTS[" + i + "]." + e.getMessage());
            }
        }
        return roots;
    }

    private static String string(Map<String, Object> item, String key, String field) {
        Object v = item.get(key);
        if (v != null && !(v instanceof String)) {
            throw new ValidationException(field + "." + key + ": expected a string");
        }
        return (String) v;
    }

    private static Placeholders placeholders(String raw) {
        if (raw == null || raw.isBlank()) {
            return Placeholders.NONE;
        }
        try {
            Map<String, String> values = Json.MAPPER.readValue(raw, new TypeReference<>() {
            });
            return new Placeholders(values);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ValidationException("TIDEMARK_PLACEHOLDERS: not a JSON object of string values");
        }
    }

    /**
     * @param name a target name from an event
     * @return the target, if configured
     */
    public Optional<TargetConfig> target(String name) {
        return targets.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /**
     * @param env environment variables
     * @param key the variable
     * @param dflt the value when it is unset or blank
     * @return its non-negative whole-number value
     * @throws ValidationException naming the variable when it is not one
     */
    static int intSetting(Map<String, String> env, String key, int dflt) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ValidationException(key + ": not a non-negative whole number: '" + v + "'");
        }
    }

    /** @return names of the configured targets, for messages */
    public List<String> targetNames() {
        return targets.stream().map(TargetConfig::name).toList();
    }

}
