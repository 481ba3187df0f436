package dev.tidemark.elastic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.migration.AppliedMigration;
import dev.tidemark.migration.HistoryStore;
import dev.tidemark.migration.MigrationVersion;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Schema history in the index {@code tidemark_schema_history}: one document per record, {@code _id} = installed rank,
 * Flyway's field names, explicit mappings, {@code auto_expand_replicas: 0-1} (green on a single node, one replica where
 * possible). Writes do not force a refresh; a read refreshes the index first, so it sees every write before it.
 */
public final class ElasticHistoryStore implements HistoryStore {

    /** Index name. */
    public static final String INDEX = "tidemark_schema_history";

    private final ElasticClient client;
    private final String target;
    private boolean indexExists;

    /**
     * @param client the cluster
     * @param target the target name, for messages
     */
    public ElasticHistoryStore(ElasticClient client, String target) {
        this.client = client;
        this.target = target;
    }

    /**
     * Waits (at most 10 s) for the shard of an index another run has just created: until it is active, the node answers
     * 503 to reads of it.
     */
    static void awaitShard(ElasticClient client, String index) {
        client.send("GET", "/_cluster/health/" + index + "?wait_for_active_shards=1&timeout=10s", null);
    }

    static void ensureIndex(ElasticClient client, String index, Map<String, Object> properties, String target) {
        ElasticClient.Reply exists = client.send("HEAD", "/" + index, null);
        if (exists.status() == 200) {
            // an index created before a field existed (the lease epoch) gets it: adding a field to a mapping is allowed
            ElasticClient.Reply mapped = client.sendJson("PUT", "/" + index + "/_mapping", Map.of("properties", properties));
            if (!mapped.ok()) {
                throw mapped.failure("elasticsearch target '" + target + "': cannot update the mapping of " + index);
            }
            return;
        }
        Map<String, Object> body = Map.of(
            "settings", Map.of("number_of_shards", 1, "auto_expand_replicas", "0-1"),
            "mappings", Map.of("dynamic", "strict", "properties", properties));
        ElasticClient.Reply created = client.sendJson("PUT", "/" + index, body);
        if (!created.ok() && !created.body().path("error").path("type").asText().equals("resource_already_exists_exception")) {
            throw created.failure("elasticsearch target '" + target + "': cannot create index " + index);
        }
    }

    @Override
    public List<AppliedMigration> read() {
        client.send("POST", "/" + INDEX + "/_refresh?ignore_unavailable=true", null);
        ElasticClient.Reply reply = client.send("GET", "/" + INDEX + "/_search?size=10000&sort=installed_rank:asc", null);
        if (reply.status() == 503) {
            awaitShard(client, INDEX);
            client.send("POST", "/" + INDEX + "/_refresh?ignore_unavailable=true", null);
            reply = client.send("GET", "/" + INDEX + "/_search?size=10000&sort=installed_rank:asc", null);
        }
        if (reply.status() == 404) {
            return List.of();
        }
        if (!reply.ok()) {
            throw reply.failure("elasticsearch target '" + target + "': cannot read " + INDEX);
        }
        List<AppliedMigration> rows = new ArrayList<>();
        for (JsonNode hit : reply.body().path("hits").path("hits")) {
            JsonNode s = hit.path("_source");
            rows.add(new AppliedMigration(s.path("installed_rank").asInt(),
                s.hasNonNull("version") ? MigrationVersion.parse(s.get("version").asText()) : null,
                s.path("description").asText(null), s.path("type").asText(null), s.path("script").asText(null),
                s.hasNonNull("checksum") ? s.get("checksum").asInt() : null, s.path("installed_by").asText(null),
                s.hasNonNull("installed_on") ? Instant.parse(s.get("installed_on").asText()) : null,
                s.path("execution_time").asLong(), s.path("success").asBoolean(), s.path("error").asText(null), s.path("epoch").asLong(0)));
        }
        return rows;
    }

    private void createIndex() {
        ensureIndex(client, INDEX, Map.ofEntries(
            Map.entry("installed_rank", Map.of("type", "integer")),
            Map.entry("version", Map.of("type", "keyword")),
            Map.entry("description", Map.of("type", "keyword")),
            Map.entry("type", Map.of("type", "keyword")),
            Map.entry("script", Map.of("type", "keyword")),
            Map.entry("checksum", Map.of("type", "integer")),
            Map.entry("installed_by", Map.of("type", "keyword")),
            Map.entry("installed_on", Map.of("type", "date")),
            Map.entry("execution_time", Map.of("type", "long")),
            Map.entry("success", Map.of("type", "boolean")),
            Map.entry("error", Map.of("type", "text")),
            Map.entry("epoch", Map.of("type", "long"))), target);
    }

    @Override
    public void write(AppliedMigration row) {
        if (!indexExists) {
            createIndex();
            indexExists = true;
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("installed_rank", row.installedRank());
        doc.put("version", row.version() == null ? null : row.version().toString());
        doc.put("description", row.description());
        doc.put("type", row.type());
        doc.put("script", row.script());
        doc.put("checksum", row.checksum());
        doc.put("installed_by", row.installedBy());
        doc.put("installed_on", row.installedOn().toString());
        doc.put("execution_time", row.executionTimeMs());
        doc.put("success", row.success());
        if (row.error() != null) {
            doc.put("error", row.error());
        }
        doc.put("epoch", row.epoch());
        String id = "/" + INDEX + "/_doc/" + row.installedRank();
        // fenced: written only over a record of the same or an earlier epoch, by compare-and-set on _seq_no/_primary_term
        for (int attempt = 0; attempt < 5; attempt++) {
            ElasticClient.Reply current = client.send("GET", id, null);
            String path;
            if (current.status() == 404) {
                path = "/" + INDEX + "/_create/" + row.installedRank();
            } else if (current.ok()) {
                long stored = current.body().path("_source").path("epoch").asLong(0);
                if (stored > row.epoch()) {
                    throw new dev.tidemark.error.LeaseLostException("elasticsearch target '" + target + "': record " + row.installedRank()
                        + " of the schema history belongs to a later run (epoch " + stored + ", this run's is " + row.epoch()
                        + "); this run lost its lease and stopped");
                }
                path = id + "?if_seq_no=" + current.body().path("_seq_no").asLong() + "&if_primary_term="
                    + current.body().path("_primary_term").asLong();
            } else {
                throw current.failure("elasticsearch target '" + target + "': cannot read " + INDEX);
            }
            ElasticClient.Reply reply = client.sendJson("PUT", path, doc);
            if (reply.ok()) {
                return;
            }
            if (reply.status() != 409) {
                throw reply.failure("elasticsearch target '" + target + "': cannot write " + INDEX);
            }
        }
        throw new dev.tidemark.error.ConnectionException("elasticsearch target '" + target + "': record " + row.installedRank()
            + " of the schema history kept changing while it was written");
    }

    @Override
    public void delete(int installedRank, long epoch) {
        String id = "/" + INDEX + "/_doc/" + installedRank;
        // fenced like write: deleted only by compare-and-set over a record of the same or an earlier epoch
        for (int attempt = 0; attempt < 5; attempt++) {
            ElasticClient.Reply current = client.send("GET", id, null);
            if (current.status() == 404) {
                return;
            }
            if (!current.ok()) {
                throw current.failure("elasticsearch target '" + target + "': cannot read " + INDEX);
            }
            long stored = current.body().path("_source").path("epoch").asLong(0);
            if (stored > epoch) {
                throw new dev.tidemark.error.LeaseLostException("elasticsearch target '" + target + "': record " + installedRank
                    + " of the schema history belongs to a later run (epoch " + stored + ", this run's is " + epoch
                    + "); this run lost its lease and stopped");
            }
            ElasticClient.Reply reply = client.send("DELETE", id + "?if_seq_no=" + current.body().path("_seq_no").asLong() + "&if_primary_term="
                + current.body().path("_primary_term").asLong(), null);
            if (reply.ok() || reply.status() == 404) {
                return;
            }
            if (reply.status() != 409) {
                throw reply.failure("elasticsearch target '" + target + "': cannot delete from " + INDEX);
            }
        }
        throw new dev.tidemark.error.LeaseLostException("elasticsearch target '" + target + "': record " + installedRank
            + " of the schema history kept changing under this run (epoch " + epoch + "); this run stopped");
    }
}
