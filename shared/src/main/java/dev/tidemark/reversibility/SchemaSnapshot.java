package dev.tidemark.reversibility;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A store's schema at one moment, flattened to sorted {@code path -> definition} entries (e.g.
 * {@code column.users.email -> text not null}), so that two snapshots compare entry by entry. Tidemark's own history
 * and lock tables, collections and indices are left out.
 *
 * @param entries path to definition, sorted by path
 */
public record SchemaSnapshot(SortedMap<String, String> entries) {

    /** Canonical constructor: copies the map. */
    public SchemaSnapshot {
        entries = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(entries));
    }

    /**
     * @param expected the snapshot this one should equal
     * @return the differences, one line each: {@code + path: def} (extra here), {@code - path: def} (missing here),
     *         {@code ~ path: expected -> found}; empty when equal
     */
    public List<String> differencesFrom(SchemaSnapshot expected) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : expected.entries().entrySet()) {
            String found = entries.get(e.getKey());
            if (found == null) {
                out.add("- " + e.getKey() + ": " + e.getValue());
            } else if (!Objects.equals(found, e.getValue())) {
                out.add("~ " + e.getKey() + ": " + e.getValue() + " -> " + found);
            }
        }
        for (Map.Entry<String, String> e : entries.entrySet()) {
            if (!expected.entries().containsKey(e.getKey())) {
                out.add("+ " + e.getKey() + ": " + e.getValue());
            }
        }
        return out;
    }

    /** Takes a snapshot of one target. */
    @FunctionalInterface
    public interface Taker {
        /** @return the target's schema now */
        SchemaSnapshot take();
    }
}
