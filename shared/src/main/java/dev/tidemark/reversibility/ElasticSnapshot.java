package dev.tidemark.reversibility;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.IndexSettings;
import dev.tidemark.error.ConnectionException;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Elasticsearch snapshot of a cluster: per index its mappings, settings (without what the cluster generates: uuid,
 * creation date, version) and aliases (with their filters and routing), the composable index templates, the component
 * templates and the ingest pipelines. Tidemark's {@code tidemark_*} indices and
 * system or hidden ({@code .}) ones are left out.
 */
public final class ElasticSnapshot implements SchemaSnapshot.Taker {


    private final ElasticClient client;

    /** @param client the cluster */
    public ElasticSnapshot(ElasticClient client) {
        this.client = client;
    }

    @Override
    public SchemaSnapshot take() {
        TreeMap<String, String> entries = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = get("/_all/_mapping").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (kept(e.getKey())) {
                flatten("index." + e.getKey() + ".mappings", e.getValue().path("mappings"), entries);
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = get("/_all/_settings").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (kept(e.getKey())) {
                JsonNode index = e.getValue().path("settings").path("index");
                for (Iterator<Map.Entry<String, JsonNode>> s = index.fields(); s.hasNext(); ) {
                    Map.Entry<String, JsonNode> setting = s.next();
                    if (!IndexSettings.GENERATED.contains(setting.getKey())) {
                        flatten("index." + e.getKey() + ".settings." + setting.getKey(), setting.getValue(), entries);
                    }
                }
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = get("/_alias").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (kept(e.getKey())) {
                flatten("index." + e.getKey() + ".aliases", e.getValue().path("aliases"), entries);
            }
        }
        for (JsonNode t : get("/_index_template").path("index_templates")) {
            String name = t.path("name").asText();
            if (kept(name)) {
                flatten("template." + name, t.path("index_template"), entries);
            }
        }
        for (JsonNode t : get("/_component_template").path("component_templates")) {
            String name = t.path("name").asText();
            if (kept(name)) {
                flatten("component_template." + name, t.path("component_template"), entries);
            }
        }
        // a cluster without pipelines answers 404
        ElasticClient.Reply pipelines = client.send("GET", "/_ingest/pipeline", null);
        if (!pipelines.ok() && pipelines.status() != 404) {
            throw new ConnectionException("elasticsearch snapshot: GET /_ingest/pipeline answered " + pipelines.status() + " " + pipelines.error());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = (pipelines.ok() ? pipelines.body() : com.fasterxml.jackson.databind.node.NullNode.getInstance())
            .fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (kept(e.getKey())) {
                flatten("pipeline." + e.getKey(), e.getValue(), entries);
            }
        }
        return new SchemaSnapshot(entries);
    }

    private static boolean kept(String name) {
        return !name.startsWith(".") && !name.startsWith("tidemark_");
    }

    private JsonNode get(String path) {
        ElasticClient.Reply reply = client.send("GET", path, null);
        if (!reply.ok()) {
            throw new ConnectionException("elasticsearch snapshot: GET " + path + " answered " + reply.status() + " " + reply.error());
        }
        return reply.body();
    }

    private static void flatten(String prefix, JsonNode node, TreeMap<String, String> out) {
        if (node.isObject() && !node.isEmpty()) {
            node.fields().forEachRemaining(e -> flatten(prefix + "." + e.getKey(), e.getValue(), out));
        } else {
            out.put(prefix, node.isTextual() ? node.asText() : node.toString());
        }
    }
}
