package dev.tidemark.lint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.elastic.HttpRequestSpec;
import dev.tidemark.elastic.HttpScriptParser;
import dev.tidemark.json.Json;
import dev.tidemark.migration.MigrationScript;

import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Elasticsearch rules: a mapping change that gives an existing field of an index another type (Elasticsearch refuses
 * it; the path is a new index, a reindex and an alias swap), and deleting an index. Mappings are followed from
 * {@code PUT /index} and {@code PUT /index/_mapping} across the migrations in order.
 */
final class ElasticLint {

    private ElasticLint() {
    }

    static void lint(List<MigrationScript> scripts, Linter.Sink sink) {
        Map<String, Map<String, String>> mappings = new HashMap<>();
        for (MigrationScript s : scripts) {
            for (HttpRequestSpec r : HttpScriptParser.parse(s.script(), s.content())) {
                String path = r.path().split("\\?", 2)[0];
                String[] parts = path.substring(1).split("/");
                if (parts.length == 0 || parts[0].isEmpty() || parts[0].startsWith("_")) {
                    continue;
                }
                String index = parts[0];
                if (r.method().equals("DELETE") && parts.length == 1) {
                    sink.add(Rule.ES002, s, r.line(), "DELETE /" + index + " deletes the index and its documents");
                    mappings.remove(index);
                    continue;
                }
                if (!r.method().equals("PUT") && !r.method().equals("POST") || r.body() == null) {
                    continue;
                }
                JsonNode properties;
                if (parts.length == 1) {
                    properties = body(r).path("mappings").path("properties");
                } else if (parts[1].equals("_mapping") || parts[1].equals("_mappings")) {
                    properties = body(r).path("properties");
                } else {
                    continue;
                }
                Map<String, String> known = mappings.computeIfAbsent(index, k -> new HashMap<>());
                Map<String, String> incoming = new HashMap<>();
                flatten("", properties, incoming);
                for (Map.Entry<String, String> f : incoming.entrySet()) {
                    String before = known.get(f.getKey());
                    if (before != null && !before.equals(f.getValue())) {
                        sink.add(Rule.ES001, s, r.line(), index + ": field '" + f.getKey() + "' changes type " + before + " -> " + f.getValue()
                            + "; Elasticsearch cannot change a field's type in place");
                    }
                }
                known.putAll(incoming);
            }
        }
    }

    private static JsonNode body(HttpRequestSpec r) {
        try {
            return Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            return Json.MAPPER.createObjectNode();
        }
    }

    private static void flatten(String prefix, JsonNode properties, Map<String, String> out) {
        for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = prefix + e.getKey();
            JsonNode field = e.getValue();
            out.put(name, field.path("type").asText(field.has("properties") ? "object" : ""));
            if (field.has("properties")) {
                flatten(name + ".", field.get("properties"), out);
            }
        }
    }
}
