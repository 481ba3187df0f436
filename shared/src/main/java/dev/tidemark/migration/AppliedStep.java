package dev.tidemark.migration;

import java.util.List;

/**
 * A migration or undo migration that a call ran (or, in a dry run, would run).
 *
 * @param version the version
 * @param description the description
 * @param script the file name ({@code V...} for a migrate call, {@code U...} for an undo)
 * @param executionTimeMs how long it ran in milliseconds; 0 in a dry run
 * @param statements in a dry run, exactly what would be sent, placeholders resolved and in order: SQL statements
 *                   (split by Flyway's PostgreSQL parser), MongoDB command documents (relaxed Extended JSON), or
 *                   Elasticsearch requests ({@code METHOD /path} and body); empty when the step ran
 */
public record AppliedStep(MigrationVersion version, String description, String script, long executionTimeMs,
                          List<String> statements) {

    /** Canonical constructor: copies the list. */
    public AppliedStep {
        statements = statements == null ? List.of() : List.copyOf(statements);
    }

    /**
     * A step that ran.
     *
     * @param version the version
     * @param description the description
     * @param script the file name
     * @param executionTimeMs how long it ran in milliseconds
     */
    public AppliedStep(MigrationVersion version, String description, String script, long executionTimeMs) {
        this(version, description, script, executionTimeMs, List.of());
    }
}
