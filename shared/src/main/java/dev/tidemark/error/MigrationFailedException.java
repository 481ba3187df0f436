package dev.tidemark.error;

/**
 * A migration failed while it ran. The message names the store, the target, the version and the script, and the
 * server's error. PostgreSQL rolled the migration's transaction back and recorded nothing as applied; MongoDB and
 * Elasticsearch recorded the step as failed in their schema history (see the README). Not retryable.
 */
public class MigrationFailedException extends TidemarkException {

    private final String store;
    private final String target;
    private final String version;
    private final String script;

    /**
     * @param store store name ({@code postgres}, {@code mongodb}, {@code elasticsearch})
     * @param target target name
     * @param version the failing migration's version
     * @param script the failing migration's file name
     * @param reason the server's error, without secrets
     * @param cause the underlying error
     */
    public MigrationFailedException(String store, String target, String version, String script, String reason, Throwable cause) {
        super(ErrorCode.MIGRATION_FAILED, false,
            store + " target '" + target + "': migration " + version + " (" + script + ") failed: " + reason, cause);
        this.store = store;
        this.target = target;
        this.version = version;
        this.script = script;
    }

    /** @return the store name */
    public String store() {
        return store;
    }

    /** @return the target name */
    public String target() {
        return target;
    }

    /** @return the failing migration's version */
    public String version() {
        return version;
    }

    /** @return the failing migration's file name */
    public String script() {
        return script;
    }
}
