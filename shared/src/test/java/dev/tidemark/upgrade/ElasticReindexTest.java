package dev.tidemark.upgrade;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.OpenSearchServer;
import dev.tidemark.testing.ServersExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reindex behind an alias while an application keeps writing and searching through it: the client-side copy (point in
 * time, {@code _bulk}) on the Elasticsearch node, which has no reindex module, and the server-side {@code _reindex} task
 * on the OpenSearch node.
 */
@ExtendWith(ServersExtension.class)
class ElasticReindexTest {

    private static final String V1 = """
        PUT /songs-v1
        {"settings": {"number_of_shards": 2, "number_of_replicas": 0},
         "mappings": {"dynamic": "strict", "properties": {"title": {"type": "text"}, "year": {"type": "keyword"}, "updated_at": {"type": "date"}}},
         "aliases": {"songs": {"is_write_index": true}}}
        """;
    /** The year becomes a number: a type change, which only a new index can take (ES001). */
    private static final String V2 = """
        # tidemark:phase expand
        POST /_tidemark/reindex
        {"alias": "songs", "index": "songs-v2", "catchUpField": "updated_at", "batchSize": 200, "sample": 50,
         "settings": {"number_of_shards": 1, "number_of_replicas": 0},
         "mappings": {"dynamic": "strict", "properties": {"title": {"type": "text"}, "year": {"type": "integer"}, "updated_at": {"type": "date"}}}}
        """;
    private static final String U2 = """
        POST /_aliases
        {"actions": [{"remove": {"index": "songs-v2", "alias": "songs"}}, {"add": {"index": "songs-v1", "alias": "songs", "is_write_index": true}}]}

        PUT /songs-v1/_settings
        {"index.blocks.write": null}

        DELETE /songs-v2
        """;
    private static final String V3 = """
        # tidemark:phase contract
        # tidemark:approve ES002 songs-v1 is retired: every document is in songs-v2
        DELETE /songs-v1
        """;

    @TempDir
    Path dir;

    private void files() throws Exception {
        Files.writeString(dir.resolve("V1__songs.http"), V1);
        Files.writeString(dir.resolve("U1__songs.http"), "DELETE /songs-v1\n");
        Files.writeString(dir.resolve("V2__reindex_songs_year_as_number.http"), V2);
        Files.writeString(dir.resolve("U2__reindex_songs_year_as_number.http"), U2);
        Files.writeString(dir.resolve("V3__retire_songs_v1.http"), V3);
        Files.writeString(dir.resolve("U3__retire_songs_v1.http"), "PUT /songs-v1\n");
    }

    private EngineFactory engines(String url) {
        TidemarkConfig config = new TidemarkConfig(List.of(new TargetConfig("search", Store.ELASTICSEARCH, "es", "filesystem:" + dir, null)), 5, 60,
            300, Placeholders.NONE);
        return new EngineFactory(config, Map.of("es", "{\"url\":\"" + url + "\"}")::get, new LocationReader(() -> {
            throw new IllegalStateException("no S3 here");
        }));
    }

    private static UpgradeRequest request(UpgradeRequest.RolloutPhase phase, String version) {
        return new UpgradeRequest(List.of(new UpgradeTarget(Store.ELASTICSEARCH, "search", TargetVersion.parse(version), null)), false,
            UpgradeRequest.Operation.MIGRATE, false, phase);
    }

    private static void clean(ElasticClient c) {
        for (String index : List.of("songs-v1", "songs-v2", "tidemark_schema_history", "tidemark_lock", "tidemark_backfill")) {
            c.send("PUT", "/" + index + "/_settings", "{\"index.blocks.write\": null}");
            c.send("DELETE", "/" + index + "?ignore_unavailable=true", null);
        }
    }

    @Test
    void onElasticsearchTheClientSideCopyUnderAConcurrentWriterEndsWithEveryDocumentInTheNewIndexAndNoFailedSearch(ElasticsearchServer es) throws Exception {
        try (ElasticClient c = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
            clean(c);
            try {
                reindexUnderWriter(c, es.url(), false);
            } finally {
                clean(c);
            }
        }
    }

    @Test
    void onOpenSearchTheServerSideReindexTaskIsPolledAcrossCallsAndTheAliasSwapsAtomicallyAndARollbackSwapsBack(OpenSearchServer os) throws Exception {
        try (ElasticClient c = new ElasticClient(new ConnectionSecrets.Elastic(os.url(), null, null, null))) {
            clean(c);
            try {
                reindexUnderWriter(c, os.url(), true);
            } finally {
                clean(c);
            }
        }
    }

    private void reindexUnderWriter(ElasticClient c, String url, boolean thenRollBack) throws Exception {
        files();
        EngineFactory engines = engines(url);
        assertThat(new UpgradeService(engines).upgrade(request(UpgradeRequest.RolloutPhase.ALL, "1")).results().getFirst().status())
            .isEqualTo(MigrateResult.Status.MIGRATED);
        int initial = 3000;
        Map<String, String> expected = new ConcurrentHashMap<>();
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < initial; i++) {
            String source = "{\"title\":\"song " + i + "\",\"year\":\"" + (1950 + i % 70) + "\",\"updated_at\":" + (1_700_000_000_000L + i) + "}";
            bulk.append("{\"index\":{\"_id\":\"").append(i).append("\"}}\n").append(source).append('\n');
            expected.put(String.valueOf(i), source);
        }
        assertThat(c.send("POST", "/songs/_bulk?refresh=true", bulk.toString()).body().path("errors").asBoolean()).isFalse();

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        AtomicLong blocked = new AtomicLong();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        // own threads: the common pool has one thread on a 2-core machine, and the searcher must run beside the writer
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
        AtomicLong searches = new AtomicLong();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            Random random = new Random(1);
            try (ElasticClient w = new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null))) {
                while (!stop.get()) {
                    String id = String.valueOf(random.nextInt(initial + 500));
                    String source = "{\"title\":\"song " + id + " v" + writes.get() + "\",\"year\":\"" + (1950 + random.nextInt(70)) + "\",\"updated_at\":"
                        + System.currentTimeMillis() + "}";
                    ElasticClient.Reply r = w.send("PUT", "/songs/_doc/" + id, source);
                    if (r.ok()) {
                        expected.put(id, source);
                        writes.incrementAndGet();
                    } else if (r.status() == 403 || r.status() == 429) {
                        blocked.incrementAndGet(); // the moment of the write block before the swap: the application retries
                    } else {
                        failures.add("write HTTP " + r.status() + " " + r.error());
                    }
                }
            }
        }, threads);
        CompletableFuture<Void> searcher = CompletableFuture.runAsync(() -> {
            try (ElasticClient s = new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null))) {
                while (!stop.get()) {
                    ElasticClient.Reply r = s.send("POST", "/songs/_search", "{\"size\": 1, \"query\": {\"match\": {\"title\": \"song\"}}}");
                    if (!r.ok() || r.body().path("_shards").path("failed").asInt() > 0 || r.body().path("hits").path("total").path("value").asLong() < initial) {
                        failures.add("search HTTP " + r.status() + " " + r.body().path("hits").path("total"));
                    }
                    searches.incrementAndGet();
                }
            }
        }, threads);
        List<MigrateResult> calls = new ArrayList<>();
        try {
            Thread.sleep(300);
            MigrateResult r;
            do {
                r = new UpgradeService(engines).upgrade(request(UpgradeRequest.RolloutPhase.EXPAND, "latest"), () -> true).results().getFirst();
                calls.add(r);
                Thread.sleep(20);
            } while (r.status() == MigrateResult.Status.IN_PROGRESS && calls.size() < 500);
            Thread.sleep(300);
        } finally {
            stop.set(true);
            writer.get(30, TimeUnit.SECONDS);
            searcher.get(30, TimeUnit.SECONDS);
            threads.shutdown();
        }
        MigrateResult done = calls.getLast();
        assertThat(done.status()).isEqualTo(MigrateResult.Status.MIGRATED);
        assertThat(done.versionAfter()).isEqualTo(MigrationVersion.parse("2"));
        assertThat(done.phase().contractPending()).containsExactly("V3__retire_songs_v1.http");
        assertThat(calls.size()).as("the reindex took more than one call").isGreaterThan(1);
        assertThat(calls.subList(0, calls.size() - 1)).allSatisfy(x -> assertThat(x.backfill().finished()).isFalse());
        assertThat(done.backfill().estimated()).isGreaterThanOrEqualTo(initial);
        assertThat(done.backfill().method()).isEqualTo(thenRollBack ? "_reindex task" : "scroll and _bulk");
        assertThat(writes.get()).as("the application kept writing").isGreaterThan(100);
        assertThat(searches.get()).as("and searching").isGreaterThan(100);
        assertThat(failures).as("no failed search or write through the alias").isEmpty();

        JsonNode alias = c.send("GET", "/_alias/songs", null).body();
        assertThat(alias.has("songs-v2")).isTrue();
        assertThat(alias.has("songs-v1")).as("the alias moved in one call").isFalse();
        assertThat(alias.path("songs-v2").path("aliases").path("songs").path("is_write_index").asBoolean()).isTrue();
        assertThat(c.send("GET", "/songs-v2/_mapping", null).body().path("songs-v2").path("mappings").path("properties").path("year").path("type")
            .asText()).isEqualTo("integer");
        c.send("POST", "/songs/_refresh", null);
        assertThat(differences(documents(c, "songs-v2"), expected)).as("every document the application wrote, in its last version (of "
            + expected.size() + ", " + blocked.get() + " writes blocked for a moment; v1 settings " + c.send("GET", "/songs-v1/_settings", null).body()
            + ")").isEmpty();
        assertThat(c.send("HEAD", "/songs-v1", null).status()).as("the old index stays until the contract phase").isEqualTo(200);

        if (thenRollBack) {
            try (MigrationEngine e = engines.open(engines.config().target("search").orElseThrow())) {
                e.undo(MigrationVersion.parse("1"), false);
            }
            assertThat(c.send("GET", "/_alias/songs", null).body().has("songs-v1")).as("the rollback swapped the alias back").isTrue();
            assertThat(c.send("PUT", "/songs/_doc/new-after-rollback", "{\"title\": \"x\", \"year\": \"2001\", \"updated_at\": 1}").ok())
                .as("and lifted the write block").isTrue();
        } else {
            MigrateResult contract = new UpgradeService(engines).upgrade(request(UpgradeRequest.RolloutPhase.CONTRACT, "latest")).results().getFirst();
            assertThat(contract.phase().irreversible()).containsExactly("V3__retire_songs_v1.http");
            assertThat(c.send("HEAD", "/songs-v1", null).status()).isEqualTo(404);
        }
    }

    /** @return up to ten ids whose document is missing, extra or another version, each with what differs */
    private static List<String> differences(Map<String, String> found, Map<String, String> expected) {
        List<String> out = new ArrayList<>();
        for (var e : new TreeMap<>(expected).entrySet()) {
            String f = found.get(e.getKey());
            if (!e.getValue().equals(f)) {
                out.add(e.getKey() + ": expected " + e.getValue() + ", found " + f);
            }
        }
        found.keySet().stream().filter(k -> !expected.containsKey(k)).forEach(k -> out.add(k + ": unexpected"));
        return out.subList(0, Math.min(10, out.size()));
    }

    /** @return every document of the index, id to source as written */
    private static Map<String, String> documents(ElasticClient c, String index) {
        Map<String, String> out = new TreeMap<>();
        JsonNode r = c.send("POST", "/" + index + "/_search?scroll=1m", "{\"size\": 1000, \"sort\": [\"_doc\"]}").body();
        while (r.path("hits").path("hits").size() > 0) {
            r.path("hits").path("hits").forEach(h -> out.put(h.path("_id").asText(), h.path("_source").toString()));
            r = c.send("POST", "/_search/scroll", "{\"scroll\": \"1m\", \"scroll_id\": \"" + r.path("_scroll_id").asText() + "\"}").body();
        }
        return out;
    }
}
