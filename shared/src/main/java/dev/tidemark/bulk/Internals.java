package dev.tidemark.bulk;

import dev.tidemark.error.ValidationException;

import java.util.Set;

/**
 * Names a bulk export or import may never read or write: Tidemark's own schema history and lock stores, replace stages,
 * and the stores' system objects (PostgreSQL's are refused by {@code PostgresBulk} from the catalog).
 */
final class Internals {

    /** Tidemark's collections and indices on MongoDB and Elasticsearch. */
    static final Set<String> TIDEMARK = Set.of("tidemark_schema_history", "tidemark_lock");
    /** MongoDB's system databases. */
    static final Set<String> MONGO_SYSTEM_DATABASES = Set.of("admin", "local", "config");

    private Internals() {
    }

    /**
     * @param field the event field
     * @param name a MongoDB collection name from an event
     * @return the name
     * @throws ValidationException naming the field when it is not a plain collection name (letters, digits, {@code _ . -},
     *                             at most 120 characters) or is a system or Tidemark collection
     */
    static String mongoCollection(String field, String name) {
        if (name == null || !name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}")) {
            throw new ValidationException(field + ": missing or not a collection name (letters, digits, '_', '.', '-'; at most 120)");
        }
        if (name.startsWith("system.") || TIDEMARK.contains(name) || name.endsWith("__tidemark_replace") || MONGO_SYSTEM_DATABASES.contains(name)) {
            throw new ValidationException(field + ": '" + name + "' is a system or Tidemark collection, never a bulk source or destination");
        }
        return name;
    }

    /**
     * @param field the event field
     * @param name an Elasticsearch index or alias name from an event
     * @return the name
     * @throws ValidationException naming the field when it is not a plain lower-case index name (no wildcard, list, or
     *                             leading {@code .}, {@code _}, {@code -} or {@code +}) or is a Tidemark index
     */
    static String elasticIndex(String field, String name) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9_.+-]{0,254}") || name.equals(".") || name.equals("..")) {
            throw new ValidationException(field + ": missing or not one index or alias name (lower case; no wildcards, lists or leading '.')");
        }
        if (TIDEMARK.contains(name) || name.matches(".*-tidemark-\\d{13}")) {
            throw new ValidationException(field + ": '" + name + "' is a Tidemark index, never a bulk source or destination");
        }
        return name;
    }

    /**
     * @param field the event field
     * @param index a concrete index the name resolved to
     * @param hidden whether its {@code index.hidden} setting is true
     * @throws ValidationException naming the field when it is hidden, {@code .}-prefixed or Tidemark's
     */
    static void elasticConcrete(String field, String index, boolean hidden) {
        if (hidden || index.startsWith(".") || TIDEMARK.contains(index)) {
            throw new ValidationException(field + ": resolves to a hidden, system or Tidemark index, never a bulk source or destination");
        }
    }
}
