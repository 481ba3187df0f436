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
 */
public record TargetConfig(String name, Store store, String secretId, String location, String database) {

    /**
     * @param other a location replacing this target's for one call (e.g. a release's S3 prefix), or {@code null}
     * @return this target reading its migrations from {@code other}; this target itself when {@code other} is null
     */
    public TargetConfig withLocation(String other) {
        return other == null ? this : new TargetConfig(name, store, secretId, other, database);
    }
}
