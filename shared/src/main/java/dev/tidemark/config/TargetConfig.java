package dev.tidemark.config;

import dev.tidemark.migration.Store;

/**
 * One configured target: a database or cluster that migrations are applied to.
 *
 * @param name the name events use, e.g. {@code app-db}
 * @param store the store
 * @param secretId the Secrets Manager ARN or name of its connection secret
 * @param location where its migrations are read, e.g. {@code s3://bucket/postgres}
 * @param database the database (PostgreSQL, MongoDB) when not taken from the secret, or {@code null}
 * @param bulkAllow patterns of the tables ({@code schema.table}), collections or indices bulk export and import may
 *                  use on this target ({@code *} matches any run of characters); empty: any but Tidemark's own and the
 *                  system's, which are never allowed
 */
public record TargetConfig(String name, Store store, String secretId, String location, String database, java.util.List<String> bulkAllow) {

    /** Canonical constructor: copies the patterns. */
    public TargetConfig {
        bulkAllow = bulkAllow == null ? java.util.List.of() : java.util.List.copyOf(bulkAllow);
    }

    /**
     * A target without a bulk allow-list.
     *
     * @param name the name events use
     * @param store the store
     * @param secretId the connection secret
     * @param location where its migrations are read
     * @param database the database, or {@code null}
     */
    public TargetConfig(String name, Store store, String secretId, String location, String database) {
        this(name, store, secretId, location, database, java.util.List.of());
    }

    /**
     * @param field the event field the name came from
     * @param name a table ({@code schema.table}), collection or index a bulk request uses
     * @throws dev.tidemark.error.ValidationException naming the field when an allow-list is configured and no pattern
     *                                                matches
     */
    public void requireBulkAllowed(String field, String name) {
        if (bulkAllow.isEmpty()) {
            return;
        }
        for (String pattern : bulkAllow) {
            String r = java.util.Arrays.stream(pattern.split("\\*", -1)).map(java.util.regex.Pattern::quote)
                .collect(java.util.stream.Collectors.joining(".*"));
            if (name.matches(r)) {
                return;
            }
        }
        throw new dev.tidemark.error.ValidationException(field + ": '" + name + "' is not in the bulk allow-list of target '" + this.name + "'");
    }

    /**
     * @param other a location replacing this target's for one call (e.g. a release's S3 prefix), or {@code null}
     * @return this target reading its migrations from {@code other}; this target itself when {@code other} is null
     */
    public TargetConfig withLocation(String other) {
        return other == null ? this : new TargetConfig(name, store, secretId, other, database, bulkAllow);
    }
}
