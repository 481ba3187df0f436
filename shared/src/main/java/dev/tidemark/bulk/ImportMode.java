package dev.tidemark.bulk;

import dev.tidemark.error.ValidationException;

import java.util.Locale;

/**
 * How a bulk import writes into its destination.
 * <ul>
 *   <li>{@link #INSERT}: add every record; a record whose key exists is an error (PostgreSQL unique violation, MongoDB
 *       E11000, Elasticsearch {@code create} conflict).</li>
 *   <li>{@link #UPSERT}: insert or overwrite by key: PostgreSQL {@code INSERT ... ON CONFLICT (key) DO UPDATE} through a
 *       staging table; MongoDB replace-one with upsert by {@code _id}; Elasticsearch {@code index} by {@code _id}.</li>
 *   <li>{@link #REPLACE}: the destination ends up holding exactly the imported records, and readers never see a
 *       half-loaded state: PostgreSQL loads a staging table, then deletes and inserts in one transaction; MongoDB loads
 *       a temporary collection with the target's indexes and renames it over the target; Elasticsearch loads a new
 *       index and swaps the alias in one {@code _aliases} call.</li>
 * </ul>
 */
public enum ImportMode {
    /** Add records; existing keys are an error. */
    INSERT,
    /** Insert or overwrite by key. */
    UPSERT,
    /** Swap in exactly the imported records. */
    REPLACE;

    /**
     * @param field the field name, for messages
     * @param value {@code insert}, {@code upsert} or {@code replace}, any case
     * @return the mode
     * @throws ValidationException naming the field otherwise
     */
    public static ImportMode of(String field, String value) {
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ValidationException(field + ": '" + value + "' is not an import mode; expected insert, upsert or replace");
        }
    }
}
