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
 * changes it freely. On PostgreSQL each forward migration's catalog diff is also checked for data loss
 * ({@link SchemaDataLoss}), whatever its SQL looked like.
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
        return run(store, engine, versioned, undo, snapshots, null);
    }

    /**
     * As {@link #run(Store, MigrationEngine, List, List, SchemaSnapshot.Taker)}, checking every version on its own: when a
     * version's undo does not restore the schema below it (or fails, or is missing, or is empty for a version that
     * changes the schema), the scratch target is wiped with {@code reset} and migrated afresh to the next version down,
     * so that version's undo is checked from the state it expects. Without {@code reset} the versions below are
     * {@code NOT_CHECKED}.
     *
     * @param reset wipes the scratch target, its schema history included; {@code null} when it cannot be wiped
     * @return the report
     */
    public static ReversibilityReport run(Store store, MigrationEngine engine, List<MigrationScript> versioned, List<MigrationScript> undo,
                                          SchemaSnapshot.Taker snapshots, Runnable reset) {
        long start = System.nanoTime();
        Map<MigrationVersion, MigrationScript> undoByVersion = new HashMap<>();
        undo.forEach(u -> undoByVersion.put(u.version(), u));
        Map<MigrationVersion, SchemaSnapshot> after = new LinkedHashMap<>();
        Map<MigrationVersion, ReversibilityReport.VersionCheck> checks = new LinkedHashMap<>();
        Map<MigrationVersion, List<dev.tidemark.lint.Finding>> dataLoss = new HashMap<>();
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
            if (store == Store.POSTGRES) {
                SchemaSnapshot previous = applied.isEmpty() ? empty : after.get(applied.getLast().version());
                dataLoss.put(s.version(), SchemaDataLoss.of(s, previous, after.get(s.version())));
            }
            applied.add(s);
        }
        MigrationVersion firstIrreversible = null;
        boolean offTrack = false; // the target is not at the state the next version down expects
        String rebuildError = null;
        for (int i = applied.size() - 1; i >= 0; i--) {
            MigrationScript s = applied.get(i);
            MigrationVersion below = i == 0 ? null : applied.get(i - 1).version();
            SchemaSnapshot expectedBelow = below == null ? empty : after.get(below);
            if (offTrack) {
                if (reset == null || rebuildError != null) {
                    checks.put(s.version(), check(s, undoByVersion, "NOT_CHECKED", List.of(), rebuildError));
                    continue;
                }
                try {
                    reset.run();
                    engine.migrate(TargetVersion.parse(s.version().toString()), false);
                    List<String> rebuilt = snapshots.take().differencesFrom(after.get(s.version()));
                    if (!rebuilt.isEmpty()) {
                        throw new IllegalStateException("migrating afresh to " + s.version() + " gave another schema: " + rebuilt);
                    }
                    offTrack = false;
                } catch (TidemarkException | IllegalStateException e) {
                    rebuildError = "the scratch target could not be rebuilt at " + s.version() + ": " + e.getMessage();
                    checks.put(s.version(), check(s, undoByVersion, "NOT_CHECKED", List.of(), rebuildError));
                    continue;
                }
            }
            String outcome;
            List<String> differences = List.of();
            String error = null;
            MigrationScript u = undoByVersion.get(s.version());
            if (u == null) {
                outcome = "NO_UNDO";
            } else if (blank(u.content()) && !after.get(s.version()).differencesFrom(expectedBelow).isEmpty()) {
                outcome = "EMPTY_UNDO"; // the version changes the schema and its undo does nothing
                differences = after.get(s.version()).differencesFrom(expectedBelow);
            } else {
                try {
                    engine.undo(below, false);
                    differences = snapshots.take().differencesFrom(expectedBelow);
                    outcome = differences.isEmpty() ? "RESTORED" : "NOT_RESTORED";
                } catch (TidemarkException e) {
                    outcome = "UNDO_FAILED";
                    error = e.getMessage();
                }
            }
            checks.put(s.version(), check(s, undoByVersion, outcome, differences, error));
            if (!outcome.equals("RESTORED")) {
                offTrack = true;
                if (firstIrreversible == null) {
                    firstIrreversible = s.version();
                }
            }
        }
        boolean reapplied = false;
        List<String> reapplyDifferences = List.of();
        if (!applied.isEmpty()) {
            try {
                if (offTrack && reset != null) {
                    reset.run(); // the lowest version was not undone cleanly: re-migrate from an empty target
                }
                engine.migrate(TargetVersion.parse(applied.getLast().version().toString()), false);
                reapplyDifferences = snapshots.take().differencesFrom(after.get(applied.getLast().version()));
                reapplied = reapplyDifferences.isEmpty();
            } catch (TidemarkException e) {
                reapplyDifferences = List.of("re-migration failed: " + e.getMessage());
            }
        }
        List<ReversibilityReport.VersionCheck> ordered = versioned.stream().map(s -> checks.getOrDefault(s.version(),
            check(s, undoByVersion, "NOT_CHECKED", List.of(), null)).withDataLoss(dataLoss.getOrDefault(s.version(), List.of()))).toList();
        return new ReversibilityReport(store, ordered, firstIrreversible, reapplied, reapplyDifferences, (System.nanoTime() - start) / 1_000_000);
    }

    /** @return whether a migration file holds nothing to run: blank, comments only, or an empty JSON array */
    static boolean blank(String content) {
        String stripped = content.replaceAll("(?m)^\\s*(--|#|//).*$", "").replaceAll("/\\*(?s:.*?)\\*/", "").strip();
        return stripped.isEmpty() || stripped.replaceAll("\\s", "").equals("[]");
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
            return run(Store.POSTGRES, engine, versioned, undo, new PostgresSnapshot(connection), () -> resetPostgres(connection));
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
            return run(Store.MONGODB, engine, versioned, undo, new MongoSnapshot(client.getDatabase(database)), () -> client.getDatabase(database).drop());
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
            java.util.Set<String> before = elasticNames(client);
            return run(Store.ELASTICSEARCH, engine, versioned, undo, new ElasticSnapshot(client), () -> resetElastic(client, before));
        }
    }

    /** Wipes a scratch PostgreSQL database: every schema but the system ones goes, and an empty {@code public} comes back. */
    private static void resetPostgres(dev.tidemark.secrets.ConnectionSecrets.Postgres c) {
        try (java.sql.Connection jdbc = java.sql.DriverManager.getConnection(c.jdbcUrl(), c.username(), c.password()); java.sql.Statement st = jdbc.createStatement()) {
            st.execute("""
                DO $$ DECLARE s text; BEGIN
                  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
                    EXECUTE format('DROP SCHEMA %I CASCADE', s);
                  END LOOP;
                  CREATE SCHEMA public;
                END $$""");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("wiping the scratch database failed (SQL state " + e.getSQLState() + ")", e);
        }
    }

    /** @return the cluster's index and index template names now (the scratch cluster's own, kept by a reset) */
    private static java.util.Set<String> elasticNames(dev.tidemark.elastic.ElasticClient client) {
        java.util.Set<String> names = new java.util.HashSet<>();
        client.send("GET", "/_all/_settings?expand_wildcards=all", null).body().fieldNames().forEachRemaining(n -> names.add("index:" + n));
        client.send("GET", "/_index_template", null).body().path("index_templates").forEach(t -> names.add("template:" + t.path("name").asText()));
        return names;
    }

    /** Wipes what the check created on a scratch cluster: indices (history and lease included) and index templates. */
    private static void resetElastic(dev.tidemark.elastic.ElasticClient client, java.util.Set<String> before) {
        for (String name : elasticNames(client)) {
            if (before.contains(name) || name.startsWith("index:.")) {
                continue;
            }
            String path = name.startsWith("index:") ? "/" + name.substring("index:".length()) : "/_index_template/" + name.substring("template:".length());
            dev.tidemark.elastic.ElasticClient.Reply r = client.send("DELETE", path, null);
            if (!r.ok() && r.status() != 404) {
                throw new IllegalStateException("wiping the scratch cluster: DELETE " + path + " answered " + r.status());
            }
        }
    }

    private static ReversibilityReport.VersionCheck check(MigrationScript s, Map<MigrationVersion, MigrationScript> undo, String outcome,
                                                          List<String> differences, String error) {
        MigrationScript u = undo.get(s.version());
        return new ReversibilityReport.VersionCheck(s.version(), s.script(), u == null ? null : u.script(), outcome, differences, error, List.of());
    }
}
