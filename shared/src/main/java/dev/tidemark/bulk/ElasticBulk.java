package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.IndexSettings;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.TransferFailedException;
import dev.tidemark.error.ValidationException;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Elasticsearch bulk export and import over the REST API.
 * <ul>
 *   <li>Export: a point in time ({@code POST /index/_pit}, kept alive {@value #KEEP_ALIVE} between invocations) searched
 *       page by page with {@code search_after} on {@code _shard_doc}: a consistent snapshot, resumable. Each hit is a line
 *       {@code {"_id": ..., "_source": {...}}}; numbers keep every digit.</li>
 *   <li>Import: {@code _bulk} requests of {@code batchSize} records: {@code create} (insert), {@code index} by {@code _id}
 *       (upsert), or {@code index} into a new index whose alias is swapped in one {@code _aliases} call (replace).
 *       HTTP 429 answers, for the request or for single items, are retried after an exponential back-off (100 ms doubling
 *       to 10 s, {@value #ATTEMPTS} attempts).</li>
 * </ul>
 */
final class ElasticBulk {

    /** Keep-alive of the export's point in time: the longest pause between two invocations of one export. */
    static final String KEEP_ALIVE = "10m";
    static final int ATTEMPTS = 10;

    private ElasticBulk() {
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static ElasticClient.Reply send(ElasticClient client, String method, String path, String body) {
        return client.send(method, path, body, ExactJson.MAPPER);
    }

    /**
     * @param client the client (closed with the source)
     * @param r the request
     * @param cursor {@code {"pit": ..., "searchAfter": [...]}} or {@code null}
     * @return the source
     */
    static RecordSource export(ElasticClient client, ExportRequest r, JsonNode cursor) {
        try {
            String index = r.source().name();
            String pit;
            JsonNode after = null;
            if (cursor == null) {
                ElasticClient.Reply head = send(client, "HEAD", "/" + enc(index), null);
                if (head.status() == 404) {
                    throw new ValidationException("source.index: no index or alias '" + index + "'");
                }
                ElasticClient.Reply open = send(client, "POST", "/" + enc(index) + "/_pit?keep_alive=" + KEEP_ALIVE, null);
                if (!open.ok()) {
                    throw new ConnectionException("elasticsearch export: opening a point in time on " + index + ": " + open.error(), null);
                }
                pit = open.body().path("id").asText();
            } else {
                if (!cursor.path("pit").isTextual() || !cursor.path("searchAfter").isArray()) {
                    throw new ValidationException("continuation.cursor: expected {\"pit\": ..., \"searchAfter\": [...]}");
                }
                pit = cursor.path("pit").asText();
                after = cursor.path("searchAfter");
            }
            JsonNode query = r.source().query() == null ? null : ExactJson.read(r.source().query().getBytes(StandardCharsets.UTF_8));
            return new PitSource(client, pit, query, after, r.throughput().batchSize());
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static final class PitSource implements RecordSource {
        private final ElasticClient client;
        private final JsonNode query;
        private final int size;
        private String pit;
        private JsonNode after;
        private Iterator<JsonNode> page = java.util.Collections.emptyIterator();
        private boolean exhausted;
        private JsonNode lastSort;

        PitSource(ElasticClient client, String pit, JsonNode query, JsonNode after, int size) {
            this.client = client;
            this.pit = pit;
            this.query = query;
            this.after = after;
            this.size = size;
        }

        @Override
        public byte[] header() {
            return null;
        }

        @Override
        public byte[] next() {
            if (!page.hasNext() && !exhausted) {
                fetch();
            }
            if (!page.hasNext()) {
                return null;
            }
            JsonNode hit = page.next();
            lastSort = hit.path("sort");
            ObjectNode line = ExactJson.MAPPER.createObjectNode();
            line.set("_id", hit.path("_id"));
            line.set("_source", hit.path("_source"));
            byte[] json = ExactJson.write(line);
            byte[] out = java.util.Arrays.copyOf(json, json.length + 1);
            out[json.length] = '\n';
            return out;
        }

        private void fetch() {
            ObjectNode body = ExactJson.MAPPER.createObjectNode();
            body.put("size", size);
            body.put("track_total_hits", false);
            if (query != null) {
                body.set("query", query);
            }
            body.putObject("pit").put("id", pit).put("keep_alive", KEEP_ALIVE);
            body.putArray("sort").addObject().put("_shard_doc", "asc");
            if (after != null) {
                body.set("search_after", after);
            }
            // no filter_path: filtering makes Elasticsearch re-parse _source, and decimals lose digits beyond a double's
            ElasticClient.Reply reply = send(client, "POST", "/_search", body.toString());
            if (reply.status() == 404 || reply.error().contains("search_context_missing") || reply.error().contains("No search context")) {
                throw new ValidationException("continuation.cursor: the point in time has expired (kept alive " + KEEP_ALIVE
                    + " between invocations); start the export over");
            }
            if (reply.status() == 400) {
                throw new ValidationException("source.query: " + reply.error());
            }
            if (!reply.ok()) {
                throw new ConnectionException("elasticsearch export: search: " + reply.error(), null);
            }
            if (reply.body().path("pit_id").isTextual()) {
                pit = reply.body().path("pit_id").asText();
            }
            JsonNode hits = reply.body().path("hits").path("hits");
            if (hits.size() < size) {
                exhausted = true;
            }
            if (!hits.isEmpty()) {
                after = hits.get(hits.size() - 1).path("sort");
            }
            page = hits.iterator();
        }

        @Override
        public JsonNode cursor() {
            if (lastSort == null) {
                return null;
            }
            ObjectNode c = ExactJson.MAPPER.createObjectNode();
            c.put("pit", pit);
            c.set("searchAfter", lastSort);
            return c;
        }

        @Override
        public List<String> key() {
            return List.of("_shard_doc");
        }

        @Override
        public void close() {
            try {
                if (exhausted && !page.hasNext()) {
                    send(client, "DELETE", "/_pit", ExactJson.MAPPER.createObjectNode().put("id", pit).toString());
                }
            } finally {
                client.close();
            }
        }
    }

    /** Imports parts into an index or alias through {@code _bulk}. */
    static final class Sink implements RecordSink {
        private final ElasticClient client;
        private final ImportRequest r;
        private final Throttle throttle;

        Sink(ElasticClient client, ImportRequest r, Manifest manifest, Throttle throttle) {
            this.client = client;
            this.r = r;
            this.throttle = throttle;
            if (manifest.format() != BulkFormat.NDJSON) {
                throw new ValidationException("source: the data is " + manifest.format().extension() + "; Elasticsearch imports ndjson");
            }
        }

        /** @return the indices behind the alias {@code name} ({@code []} when absent); fails when {@code name} is an index */
        private List<String> aliasIndices() {
            ElasticClient.Reply alias = send(client, "GET", "/_alias/" + enc(r.name()), null);
            if (alias.ok()) {
                List<String> out = new ArrayList<>();
                alias.body().fieldNames().forEachRemaining(out::add);
                return out;
            }
            ElasticClient.Reply head = send(client, "HEAD", "/" + enc(r.name()), null);
            if (head.ok()) {
                throw new ValidationException("destination.index: '" + r.name() + "' is an index, not an alias; a replace loads a new index and "
                    + "swaps an alias, so read and write '" + r.name() + "' through an alias");
            }
            return List.of();
        }

        @Override
        public String begin() {
            if (r.mode() != ImportMode.REPLACE) {
                return null;
            }
            List<String> current = aliasIndices();
            String stage = r.name() + "-tidemark-" + System.currentTimeMillis();
            ObjectNode body = ExactJson.MAPPER.createObjectNode();
            ObjectNode indexSettings = body.putObject("settings").putObject("index");
            if (!current.isEmpty()) {
                String source = current.getFirst();
                JsonNode settings = send(client, "GET", "/" + enc(source) + "/_settings", null).body().path(source).path("settings").path("index");
                for (Map.Entry<String, JsonNode> e : settings.properties()) {
                    if (!IndexSettings.GENERATED.contains(e.getKey())) {
                        indexSettings.set(e.getKey(), e.getValue());
                    }
                }
                JsonNode mappings = send(client, "GET", "/" + enc(source) + "/_mapping", null).body().path(source).path("mappings");
                if (mappings.isObject()) {
                    body.set("mappings", mappings);
                }
            }
            JsonNode refresh = indexSettings.get("refresh_interval");
            indexSettings.put("refresh_interval", "-1");
            ElasticClient.Reply created = send(client, "PUT", "/" + enc(stage), body.toString());
            if (!created.ok()) {
                throw new ConnectionException("elasticsearch import: creating " + stage + ": " + created.error(), null);
            }
            // the stage's name carries the refresh interval to restore: stage|interval
            return stage + "|" + (refresh == null ? "" : refresh.asText());
        }

        @Override
        public long load(Manifest.Part part, PartCheck data, String stage) {
            String index = r.mode() == ImportMode.REPLACE ? stage.substring(0, stage.indexOf('|')) : r.name();
            String action = r.mode() == ImportMode.INSERT ? "create" : "index";
            return data.forEachBatch(r.throughput().batchSize(), (lines, first) -> {
                StringBuilder body = new StringBuilder();
                for (int i = 0; i < lines.size(); i++) {
                    appendRecord(body, action, lines.get(i), part, first + i);
                }
                bulk(index, body.toString(), part);
                throttle.acquire(lines.size());
            });
        }

        private void appendRecord(StringBuilder body, String action, String line, Manifest.Part part, long number) {
            JsonNode rec = ExactJson.read(line.getBytes(StandardCharsets.UTF_8));
            JsonNode source;
            JsonNode id;
            if (rec.has("_source") && rec.size() <= 2 && (rec.size() == 1 || rec.has("_id"))) {
                source = rec.get("_source");
                id = rec.get("_id");
            } else {
                source = rec;
                id = r.idField() == null ? null : rec.get(r.idField());
                if (r.idField() != null && (id == null || id.isNull() || id.isContainerNode())) {
                    throw new ValidationException("destination.idField: record " + number + " of " + part.file() + " has no scalar '"
                        + r.idField() + "'");
                }
            }
            if (!source.isObject()) {
                throw new ValidationException("part " + part.file() + ": record " + number + " is not a JSON object");
            }
            if (id == null && r.mode() == ImportMode.UPSERT) {
                throw new ValidationException("part " + part.file() + ": record " + number + " has no _id; upsert writes by _id (set destination.idField)");
            }
            ObjectNode meta = ExactJson.MAPPER.createObjectNode();
            ObjectNode op = meta.putObject(id == null ? "index" : action);
            if (id != null) {
                op.put("_id", id.asText());
            }
            body.append(meta).append('\n').append(source).append('\n');
        }

        /** Sends one {@code _bulk} body, retrying 429s (whole or per item) with back-off. */
        private void bulk(String index, String body, Manifest.Part part) {
            String pending = body;
            long backoff = 100;
            for (int attempt = 1; ; attempt++) {
                ElasticClient.Reply reply = send(client, "POST", "/" + enc(index) + "/_bulk?filter_path=errors,items.*.status,items.*.error", pending);
                if (reply.status() == 429) {
                    pending = retryOrFail(pending, attempt, part, "the cluster answered 429 to the bulk request");
                } else if (!reply.ok()) {
                    throw new ConnectionException("elasticsearch import of " + part.file() + " into " + index + ": " + reply.error(), null);
                } else if (!reply.body().path("errors").asBoolean()) {
                    return;
                } else {
                    String[] lines = pending.split("\n");
                    StringBuilder again = new StringBuilder();
                    List<String> refused = new ArrayList<>();
                    ArrayNode items = (ArrayNode) reply.body().path("items");
                    for (int i = 0; i < items.size(); i++) {
                        JsonNode item = items.get(i).elements().next();
                        int status = item.path("status").asInt();
                        if (status == 429) {
                            again.append(lines[2 * i]).append('\n').append(lines[2 * i + 1]).append('\n');
                        } else if (status >= 300) {
                            refused.add(item.path("error").path("type").asText() + ": " + item.path("error").path("reason").asText());
                        }
                    }
                    if (!refused.isEmpty()) {
                        throw new ValidationException("part " + part.file() + ": " + refused.size() + " record(s) refused by " + index + ", first: "
                            + refused.getFirst());
                    }
                    if (again.isEmpty()) {
                        return;
                    }
                    pending = retryOrFail(again.toString(), attempt, part, "the cluster answered 429 to some records");
                }
                sleep(backoff);
                backoff = Math.min(backoff * 2, 10_000);
            }
        }

        private static String retryOrFail(String pending, int attempt, Manifest.Part part, String why) {
            if (attempt >= ATTEMPTS) {
                throw new TransferFailedException("elasticsearch import of " + part.file() + ": " + why + " " + attempt + " times", null, true, null);
            }
            return pending;
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectionException("elasticsearch import: interrupted while backing off", e);
            }
        }

        @Override
        public void finish(String stage) {
            if (r.mode() != ImportMode.REPLACE) {
                return;
            }
            String index = stage.substring(0, stage.indexOf('|'));
            String refresh = stage.substring(stage.indexOf('|') + 1);
            ObjectNode settings = ExactJson.MAPPER.createObjectNode();
            if (refresh.isEmpty()) {
                settings.putObject("index").putNull("refresh_interval");
            } else {
                settings.putObject("index").put("refresh_interval", refresh);
            }
            check(send(client, "PUT", "/" + enc(index) + "/_settings", settings.toString()), "restoring the refresh interval of " + index);
            check(send(client, "POST", "/" + enc(index) + "/_refresh", null), "refreshing " + index);
            List<String> old = aliasIndices();
            ObjectNode actions = ExactJson.MAPPER.createObjectNode();
            ArrayNode list = actions.putArray("actions");
            for (String o : old) {
                list.addObject().putObject("remove").put("index", o).put("alias", r.name());
            }
            list.addObject().putObject("add").put("index", index).put("alias", r.name()).put("is_write_index", true);
            check(send(client, "POST", "/_aliases", actions.toString()), "swapping alias " + r.name() + " to " + index);
            for (String o : old) {
                check(send(client, "DELETE", "/" + enc(o), null), "deleting the replaced index " + o);
            }
        }

        private static void check(ElasticClient.Reply reply, String what) {
            if (!reply.ok()) {
                throw new ConnectionException("elasticsearch import: " + what + ": " + reply.error(), null);
            }
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
