package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.IndexSettings;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.TransferFailedException;
import dev.tidemark.error.ValidationException;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
     * Refuses a name that resolves to a hidden, {@code .}-prefixed or Tidemark index (an alias can point at one): asks
     * the node for the concrete indices' {@code index.hidden} setting.
     *
     * @throws ValidationException naming the field
     */
    static void refuseInternal(ElasticClient client, String field, String name) {
        ElasticClient.Reply settings = send(client, "GET", "/" + enc(name) + "/_settings/index.hidden?flat_settings=true&expand_wildcards=all", null);
        if (settings.status() == 404) {
            return;
        }
        if (!settings.ok()) {
            throw new ConnectionException("elasticsearch: reading the settings of " + name + ": HTTP " + settings.status(), null);
        }
        for (Map.Entry<String, JsonNode> e : settings.body().properties()) {
            Internals.elasticConcrete(field, e.getKey(), "true".equals(e.getValue().path("settings").path("index.hidden").asText()));
        }
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
                refuseInternal(client, "source.index", index);
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

    /**
     * The hits of a point in time, page by page. A fetching thread asks for the next page as soon as it has read the
     * last hit's sort values of the previous one, so that Elasticsearch prepares a page while this one is written; at
     * most {@value #AHEAD} pages wait. Hits are copied as bytes ({@link ElasticRecords}).
     */
    private static final class PitSource implements RecordSource {
        private static final int AHEAD = 2;
        private static final Object END = new Object();

        private final ElasticClient client;
        private final JsonNode query;
        private final int size;
        private final java.util.concurrent.BlockingQueue<Object> pages = new java.util.concurrent.ArrayBlockingQueue<>(AHEAD);
        private final Thread fetcher;
        private volatile boolean closing;
        private String pit;
        private ElasticRecords.Page page = new ElasticRecords.Page(List.of(), List.of(), null);
        private int next;
        private boolean exhausted;
        private boolean finished;
        private byte[] lastSort;
        /** Whether this source continues an earlier invocation's point in time (a token the caller holds names it). */
        private final boolean resumed;
        /** Whether a cursor naming the point in time was handed out (it may go into a continuation). */
        private boolean handedOut;

        PitSource(ElasticClient client, String pit, JsonNode query, JsonNode after, int size) {
            this.resumed = after != null;
            this.client = client;
            this.pit = pit;
            this.query = query;
            this.size = size;
            this.fetcher = Thread.ofPlatform().daemon().name("tidemark-es-export").unstarted(() -> fetchAll(pit, after));
            fetcher.start();
        }

        @Override
        public byte[] header() {
            return null;
        }

        @Override
        public byte[] next() {
            while (next == page.lines().size()) {
                if (exhausted) {
                    return null;
                }
                Object taken;
                try {
                    taken = pages.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ConnectionException("elasticsearch export: interrupted", e);
                }
                if (taken instanceof RuntimeException failure) {
                    exhausted = true;
                    throw failure;
                }
                if (taken == END) {
                    exhausted = true;
                    finished = true;
                    page = new ElasticRecords.Page(List.of(), List.of(), null);
                    next = 0;
                    continue;
                }
                Fetched f = (Fetched) taken;
                page = ElasticRecords.page(f.body());
                next = 0;
                if (page.lines().isEmpty() || !java.util.Arrays.equals(page.sorts().getLast(), f.lastSort())) {
                    exhausted = true;
                    throw new ConnectionException("elasticsearch export: the search answer's last sort values are not where they were looked "
                        + "for; the next page cannot be asked for safely", null);
                }
                if (page.pitId() != null) {
                    pit = page.pitId();
                }
            }
            lastSort = page.sorts().get(next);
            return page.lines().get(next++);
        }

        /** A page as received, and the sort values of its last hit, which the next request continues after. */
        private record Fetched(byte[] body, byte[] lastSort) {
        }

        /**
         * The fetching thread: asks for the next page as soon as it has found the last hit's sort values (near the end of
         * the answer, so without reading the page), until a page comes back empty; then {@link #END}. A failure is
         * handed over instead. The page itself is read on the writing thread, which also checks those sort values.
         */
        private void fetchAll(String pitId, JsonNode after) {
            String currentPit = pitId;
            JsonNode searchAfter = after;
            try {
                while (!closing) {
                    byte[] body = fetch(currentPit, searchAfter);
                    byte[] last = ElasticRecords.lastSort(body);
                    if (last == null) {
                        // the end, unless the answer is laid out otherwise than expected: then stop rather than lose the rest
                        if (!ElasticRecords.page(body).lines().isEmpty()) {
                            throw new ConnectionException("elasticsearch export: a search answer's sort values were not found; the next page "
                                + "cannot be asked for safely", null);
                        }
                        pages.put(END);
                        return;
                    }
                    String leading = ElasticRecords.leadingPitId(body);
                    if (leading != null) {
                        currentPit = leading;
                    }
                    pages.put(new Fetched(body, last));
                    searchAfter = ExactJson.read(last);
                }
            } catch (InterruptedException e) {
                // closed
            } catch (RuntimeException e) {
                try {
                    pages.put(e);
                } catch (InterruptedException again) {
                    // closed
                }
            }
        }

        private byte[] fetch(String pitId, JsonNode after) {
            ObjectNode body = ExactJson.MAPPER.createObjectNode();
            body.put("size", size);
            body.put("track_total_hits", false);
            if (query != null) {
                body.set("query", query);
            }
            body.putObject("pit").put("id", pitId).put("keep_alive", KEEP_ALIVE);
            body.putArray("sort").addObject().put("_shard_doc", "asc");
            if (after != null) {
                body.set("search_after", after);
            }
            // no filter_path: filtering makes Elasticsearch re-parse _source, and decimals lose digits beyond a double's
            ElasticClient.RawReply raw = client.sendRaw("POST", "/_search", ExactJson.write(body));
            if (!raw.ok()) {
                ElasticClient.Reply reply = raw.parsed();
                if (reply.status() == 404 || reply.error().contains("search_context_missing") || reply.error().contains("No search context")) {
                    throw new ValidationException("continuation.cursor: the point in time has expired (kept alive " + KEEP_ALIVE
                        + " between invocations); start the export over");
                }
                if (reply.status() == 400) {
                    throw new ValidationException("source.query: " + reply.error());
                }
                throw new ConnectionException("elasticsearch export: search: " + reply.error(), null);
            }
            return raw.body();
        }

        @Override
        public JsonNode cursor() {
            if (lastSort == null) {
                return null;
            }
            handedOut = true;
            ObjectNode c = ExactJson.MAPPER.createObjectNode();
            c.put("pit", pit);
            c.set("searchAfter", ExactJson.read(lastSort));
            return c;
        }

        @Override
        public List<String> key() {
            return List.of("_shard_doc");
        }

        @Override
        public void close() {
            closing = true;
            fetcher.interrupt();
            try {
                fetcher.join(30_000);
                // done, or failed before any continuation could name it (a refused query): nobody will come back for it
                if (exhausted && finished || !resumed && !handedOut) {
                    send(client, "DELETE", "/_pit", ExactJson.MAPPER.createObjectNode().put("id", pit).toString());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                client.close();
            }
        }
    }

    /** Imports parts into an index or alias through {@code _bulk}. */
    static final class Sink implements RecordSink {
        /** {@code _bulk} requests sent at once: one is indexed while the next travels. */
        private static final int IN_FLIGHT = 2;

        private final ElasticClient client;
        private final ImportRequest r;
        private final Throttle throttle;
        private final java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(IN_FLIGHT, task -> {
            Thread t = new Thread(task, "tidemark-es-bulk");
            t.setDaemon(true);
            return t;
        });

        Sink(ElasticClient client, ImportRequest r, Manifest manifest, Throttle throttle) {
            this.client = client;
            this.r = r;
            this.throttle = throttle;
            if (manifest.format() != BulkFormat.NDJSON) {
                throw new ValidationException("source: the data is " + manifest.format().extension() + "; Elasticsearch imports ndjson");
            }
            try {
                refuseInternal(client, "destination.index", r.name());
            } catch (RuntimeException e) {
                client.close();
                throw e;
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
        public void checkStage(String stage) {
            if (r.mode() != ImportMode.REPLACE || stage == null
                || !stage.matches(java.util.regex.Pattern.quote(r.name()) + "-tidemark-\\d{13}\\|[0-9a-z.-]{0,16}")) {
                throw new ValidationException("continuation: its stage is not this import's");
            }
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
            java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();
            try {
                long rows = data.forEachByteBatch(r.throughput().batchSize(), (lines, first) -> {
                    List<byte[]> records = new ArrayList<>(lines.size());
                    java.util.Set<String> ids = new java.util.HashSet<>();
                    for (int i = 0; i < lines.size(); i++) {
                        String where = "part " + part.file() + ": record " + (first + i);
                        ElasticRecords.Document doc = ElasticRecords.document(lines.get(i), r.idField(), where);
                        if (doc.id() == null && r.mode() == ImportMode.UPSERT) {
                            throw new ValidationException(where + " has no _id; upsert writes by _id (set destination.idField)");
                        }
                        if (doc.id() != null) {
                            ids.add(doc.id());
                        }
                        byte[] meta = ElasticRecords.action(action, doc.id());
                        byte[] record = java.util.Arrays.copyOf(meta, meta.length + doc.source().length + 1);
                        System.arraycopy(doc.source(), 0, record, meta.length, doc.source().length);
                        record[record.length - 1] = '\n';
                        records.add(record);
                    }
                    // at most IN_FLIGHT requests at once; a batch that writes an id still in flight waits, so the last write wins
                    while (inFlight.size() >= IN_FLIGHT || inFlight.stream().anyMatch(f -> !java.util.Collections.disjoint(f.ids(), ids))) {
                        await(inFlight.removeFirst());
                    }
                    inFlight.addLast(new InFlight(senders.submit(() -> bulk(index, records, part)), ids));
                    throttle.acquire(lines.size());
                });
                while (!inFlight.isEmpty()) {
                    await(inFlight.removeFirst());
                }
                return rows;
            } finally {
                // a failure: let the requests already sent end before reporting, so nothing writes after the error
                for (InFlight f : inFlight) {
                    try {
                        f.request().get();
                    } catch (Exception e) {
                        // the first failure is the one reported
                    }
                }
            }
        }

        /** A {@code _bulk} request on its way, and the ids it writes. */
        private record InFlight(java.util.concurrent.Future<?> request, java.util.Set<String> ids) {
        }

        private static void await(InFlight f) {
            try {
                f.request().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectionException("elasticsearch import: interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException cause) {
                    throw cause;
                }
                throw new ConnectionException("elasticsearch import: " + e.getCause(), e.getCause());
            }
        }

        /** Sends one {@code _bulk} request of whole records (action line + source line each), retrying 429s (whole or per item) with back-off. */
        private void bulk(String index, List<byte[]> records, Manifest.Part part) {
            List<byte[]> pending = records;
            long backoff = 100;
            for (int attempt = 1; ; attempt++) {
                ByteArrayOutputStream body = new ByteArrayOutputStream(pending.stream().mapToInt(b -> b.length).sum());
                pending.forEach(body::writeBytes);
                ElasticClient.RawReply raw = client.sendRaw("POST", "/" + enc(index) + "/_bulk?filter_path=errors,items.*.status,items.*.error",
                    body.toByteArray());
                if (raw.status() == 429) {
                    retryOrFail(attempt, part, "the cluster answered 429 to the bulk request");
                } else if (!raw.ok()) {
                    throw new ConnectionException("elasticsearch import of " + part.file() + " into " + index + ": " + raw.parsed().error(), null);
                } else if (!hasErrors(raw.body())) {
                    return;
                } else {
                    List<byte[]> again = new ArrayList<>();
                    List<String> refused = new ArrayList<>();
                    ArrayNode items = (ArrayNode) raw.parsed().body().path("items");
                    for (int i = 0; i < items.size(); i++) {
                        JsonNode item = items.get(i).elements().next();
                        int status = item.path("status").asInt();
                        if (status == 429) {
                            again.add(pending.get(i));
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
                    retryOrFail(attempt, part, "the cluster answered 429 to some records");
                    pending = again;
                }
                sleep(backoff);
                backoff = Math.min(backoff * 2, 10_000);
            }
        }

        /** @return the {@code errors} flag of a {@code _bulk} answer, read without building the items' tree */
        private static boolean hasErrors(byte[] answer) {
            try (com.fasterxml.jackson.core.JsonParser p = ExactJson.MAPPER.getFactory().createParser(answer)) {
                p.nextToken();
                while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    com.fasterxml.jackson.core.JsonToken t = p.nextToken();
                    if (name.equals("errors")) {
                        return t == com.fasterxml.jackson.core.JsonToken.VALUE_TRUE;
                    }
                    p.skipChildren();
                }
                return false;
            } catch (java.io.IOException e) {
                throw new ConnectionException("elasticsearch import: unreadable _bulk answer: " + e.getMessage(), e);
            }
        }

        private static void retryOrFail(int attempt, Manifest.Part part, String why) {
            if (attempt >= ATTEMPTS) {
                throw new TransferFailedException("elasticsearch import of " + part.file() + ": " + why + " " + attempt + " times", null, true, null);
            }
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
            senders.shutdownNow();
            client.close();
        }
    }
}
