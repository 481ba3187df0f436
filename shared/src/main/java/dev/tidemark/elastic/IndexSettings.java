package dev.tidemark.elastic;

import java.util.Set;

/** Facts about an index's {@code settings.index} object as {@code GET /index/_settings} returns it. */
public final class IndexSettings {

    /**
     * The settings the cluster generates for each index (not set by a migration, not copyable to a new index):
     * {@code uuid}, {@code creation_date}, {@code provided_name}, {@code version}, {@code routing}, {@code resize},
     * {@code history_uuid}.
     */
    public static final Set<String> GENERATED = Set.of("uuid", "creation_date", "provided_name", "version", "routing", "resize", "history_uuid");

    private IndexSettings() {
    }
}
