package dev.tidemark.reversibility;

import dev.tidemark.error.TidemarkException;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Seed 004's ritual (upgrade, downgrade, re-upgrade), automated on a scratch target: migrate version by version taking
 * a schema snapshot after each, undo step by step comparing each result with the snapshot of the version below, then
 * migrate again to the newest version and compare with the first pass. The target must be empty scratch: the check
 * changes it freely.
 */
public final class ReversibilityCheck {

    private ReversibilityCheck() {
    }

    /**
     * @param store the store
     * @param engine an engine on an empty scratch target, with the set's undo migrations
     * @param versioned the versioned migrations
     * @param undo the undo migrations
     * @param snapshots takes the scratch target's schema
     * @return the report
     */
    public static ReversibilityReport run(Store store, MigrationEngine engine, List<MigrationScript> versioned, List<MigrationScript> undo,
                                          SchemaSnapshot.Taker snapshots) {
        long start = System.nanoTime();
        Map<MigrationVersion, MigrationScript> undoByVersion = new HashMap<>();
        undo.forEach(u -> undoByVersion.put(u.version(), u));
        Map<MigrationVersion, SchemaSnapshot> after = new LinkedHashMap<>();
        Map<MigrationVersion, ReversibilityReport.VersionCheck> checks = new LinkedHashMap<>();
        SchemaSnapshot empty = snapshots.take();
        List<MigrationScript> applied = new ArrayList<>();
        for (MigrationScript s : versioned) {
            try {
                engine.migrate(TargetVersion.parse(s.version().toString()), false);
            } catch (TidemarkException e) {
                checks.put(s.version(), check(s, undoByVersion, "MIGRATE_FAILED", List.of(), e.getMessage()));
                break;
            }
            after.put(s.version(), snapshots.take());
            applied.add(s);
        }
        MigrationVersion firstIrreversible = null;
        for (int i = applied.size() - 1; i >= 0; i--) {
            MigrationScript s = applied.get(i);
            if (firstIrreversible != null) {
                checks.put(s.version(), check(s, undoByVersion, "NOT_CHECKED", List.of(), null));
                continue;
            }
            if (!undoByVersion.containsKey(s.version())) {
                checks.put(s.version(), check(s, undoByVersion, "NO_UNDO", List.of(), null));
                firstIrreversible = s.version();
                continue;
            }
            MigrationVersion below = i == 0 ? null : applied.get(i - 1).version();
            try {
                engine.undo(below, false);
            } catch (TidemarkException e) {
                checks.put(s.version(), check(s, undoByVersion, "UNDO_FAILED", List.of(), e.getMessage()));
                firstIrreversible = s.version();
                continue;
            }
            List<String> differences = snapshots.take().differencesFrom(below == null ? empty : after.get(below));
            checks.put(s.version(), check(s, undoByVersion, differences.isEmpty() ? "RESTORED" : "NOT_RESTORED", differences, null));
            if (!differences.isEmpty()) {
                firstIrreversible = s.version();
            }
        }
        boolean reapplied = false;
        List<String> reapplyDifferences = List.of();
        if (!applied.isEmpty()) {
            try {
                engine.migrate(TargetVersion.parse(applied.getLast().version().toString()), false);
                reapplyDifferences = snapshots.take().differencesFrom(after.get(applied.getLast().version()));
                reapplied = reapplyDifferences.isEmpty();
            } catch (TidemarkException e) {
                reapplyDifferences = List.of("re-migration failed: " + e.getMessage());
            }
        }
        List<ReversibilityReport.VersionCheck> ordered = versioned.stream().map(s -> checks.getOrDefault(s.version(),
            check(s, undoByVersion, "NOT_CHECKED", List.of(), null))).toList();
        return new ReversibilityReport(store, ordered, firstIrreversible, reapplied, reapplyDifferences, (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * Runs the check on an empty PostgreSQL database.
     *
     * @param connection the scratch database (empty; changed freely)
     * @param versioned the versioned migrations
     * @param undo the undo migrations
     * @return the report
     */
    public static ReversibilityReport onPostgres(dev.tidemark.secrets.ConnectionSecrets.Postgres connection, List<MigrationScript> versioned,
                                                 List<MigrationScript> undo) {
        try (MigrationEngine engine = new dev.tidemark.postgres.PostgresEngine("scratch", connection, versioned, 30).undoScripts(undo)) {
            return run(Store.POSTGRES, engine, versioned, undo, new PostgresSnapshot(connection));
        }
    }

    /**
     * Runs the check on an empty MongoDB database.
     *
     * @param uri the server's connection string
     * @param database the scratch database (empty; changed freely)
     * @param versioned the versioned migrations
     * @param undo the undo migrations
     * @return the report
     */
    public static ReversibilityReport onMongo(String uri, String database, List<MigrationScript> versioned, List<MigrationScript> undo) {
        try (com.mongodb.client.MongoClient client = com.mongodb.client.MongoClients.create(uri);
             MigrationEngine engine = new dev.tidemark.mongo.MongoEngine("scratch", com.mongodb.client.MongoClients.create(uri), database,
                 versioned, java.time.Duration.ofSeconds(60), java.time.Duration.ofSeconds(30)).undoScripts(undo)) {
            return run(Store.MONGODB, engine, versioned, undo, new MongoSnapshot(client.getDatabase(database)));
        }
    }

    /**
     * Runs the check on an empty Elasticsearch cluster.
     *
     * @param url the scratch cluster (no indices or templates of this set; changed freely)
     * @param versioned the versioned migrations
     * @param undo the undo migrations
     * @return the report
     */
    public static ReversibilityReport onElasticsearch(String url, List<MigrationScript> versioned, List<MigrationScript> undo) {
        var secrets = new dev.tidemark.secrets.ConnectionSecrets.Elastic(url, null, null, null);
        try (dev.tidemark.elastic.ElasticClient client = new dev.tidemark.elastic.ElasticClient(secrets);
             MigrationEngine engine = new dev.tidemark.elastic.ElasticEngine("scratch", new dev.tidemark.elastic.ElasticClient(secrets), versioned,
                 java.time.Duration.ofSeconds(60), java.time.Duration.ofSeconds(30)).undoScripts(undo)) {
            return run(Store.ELASTICSEARCH, engine, versioned, undo, new ElasticSnapshot(client));
        }
    }

    private static ReversibilityReport.VersionCheck check(MigrationScript s, Map<MigrationVersion, MigrationScript> undo, String outcome,
                                                          List<String> differences, String error) {
        MigrationScript u = undo.get(s.version());
        return new ReversibilityReport.VersionCheck(s.version(), s.script(), u == null ? null : u.script(), outcome, differences, error);
    }
}
