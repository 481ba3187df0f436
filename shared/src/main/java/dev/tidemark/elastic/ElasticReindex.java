package dev.tidemark.elastic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.MigrationFailedException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.migration.BackfillProgress;
import dev.tidemark.migration.Backfills;
import dev.tidemark.migration.MigrationScript;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * An Elasticsearch reindex behind an alias as one declared migration step (esup, es-schema-migration): a new index
 * version with new settings and mappings, the documents copied, the writes made meanwhile caught up, counts and a sample
 * of documents compared, the alias swapped in one {@code _aliases} call, the old index kept until a contract migration
 * deletes it. Declared in a {@code .http} migration as a request Tidemark handles itself (the engine never sends it; the
 * file's other requests run as usual, after the reindex):
 * <pre>{@code
 * POST /_tidemark/reindex
 * {"alias": "tracks", "index": "tracks-v2", "settings": {...}, "mappings": {...}, "catchUpField": "updated_at",
 *  "batchSize": 1000, "sample": 100}
 * }</pre>
 * The copy is the server-side {@code _reindex}, started as a task ({@code wait_for_completion=false},
 * {@code slices=auto}) and polled across invocations, where the cluster has the reindex module; elsewhere a scroll
 * (a point-in-time view kept between invocations) read page by page and written with {@code _bulk}. The catch-up copies the documents whose {@code catchUpField} (a timestamp or sequence the application
 * sets on every write) is at or above the highest value when the previous pass began, pass after pass, until a pass
 * copies at most {@value #SMALL_PASS} documents. Then writes to the old index are blocked for a moment
 * ({@code index.blocks.write}: writers through the alias get a 403 and retry), a final pass copies the rest, the counts
 * must match and each sampled document must have the same source in both, and the alias moves in one {@code _aliases}
 * call (removed from the old index, added to the new one as the write index). The old index stays, read-only, until a
 * contract migration deletes it. Deletions made during the copy are not caught up: the count check then fails the
 * migration, lifts the block and leaves the alias where it was.
 * State between invocations lives in the {@code tidemark_backfill} index, written by compare-and-set on
 * {@code _seq_no}/{@code _primary_term}.
 */
public final class ElasticReindex implements Backfills {

    /** The declaration's path. */
    public static final String PATH = "/_tidemark/reindex";
    /** A catch-up pass that copies at most this many documents is the last one before the swap. */
    static final int SMALL_PASS = 100;
    private static final String STATE = "tidemark_backfill";
    private static final Set<String> FIELDS = Set.of("alias", "index", "settings", "mappings", "catchUpField", "batchSize", "sample", "catchUpLagMillis");
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,200}");
    private static final Pattern FIELD = Pattern.compile("[A-Za-z0-9_@][A-Za-z0-9_.@-]{0,200}");

    /**
     * A parsed declaration.
     *
     * @param alias the alias readers and writers use
     * @param index the new index, e.g. {@code tracks-v2}
     * @param create the body that creates it ({@code settings}, {@code mappings})
     * @param catchUpField the field every write sets to a rising value
     * @param batchSize documents per search and {@code _bulk} of the client-side copy and the catch-up (default 1,000)
     * @param sample documents compared by source before the swap (default 100)
     * @param lagMillis for a date field: how far before the previous pass's mark each pass starts again, for writers whose
     *                  writes finish out of their timestamps' order (default 2,000 ms)
     */
    public record Spec(String alias, String index, ObjectNode create, String catchUpField, int batchSize, int sample, long lagMillis) {
    }

    private final String target;
    private final ElasticClient client;

    /**
     * @param target the target name, for errors
     * @param client the cluster
     */
    public ElasticReindex(String target, ElasticClient client) {
        this.target = target;
        this.client = client;
    }

    /**
     * @param script a versioned {@code .http} migration
     * @return its reindex declaration when it has one
     * @throws ValidationException naming the file and field when the declaration is malformed or there are two
     */
    public static Optional<Spec> declared(MigrationScript script) {
        if (!script.content().contains(PATH)) {
            return Optional.empty();
        }
        Spec found = null;
        for (HttpRequestSpec r : HttpScriptParser.parse(script.script(), script.content())) {
            if (!r.path().startsWith("/_tidemark/")) {
                continue;
            }
            String where = "migration " + script.script() + ": line " + r.line() + ": reindex";
            if (!r.method().equals("POST") || !r.path().equals(PATH)) {
                throw new ValidationException(where + ": expected 'POST " + PATH + "'");
            }
            if (found != null) {
                throw new ValidationException(where + ": a second reindex; one per migration");
            }
            found = parse(r.body(), where);
        }
        return Optional.ofNullable(found);
    }

    private static Spec parse(String body, String where) {
        JsonNode d = dev.tidemark.migration.Declaration.object(body, where, FIELDS);
        String alias = name(d, "alias", where);
        String index = name(d, "index", where);
        if (index.equals(alias)) {
            throw new ValidationException(where + ".index: must differ from the alias");
        }
        String field = d.path("catchUpField").asText("");
        if (!FIELD.matcher(field).matches()) {
            throw new ValidationException(where + ".catchUpField: expected the field every write sets to a rising value (a timestamp or sequence)");
        }
        ObjectNode create = Json.MAPPER.createObjectNode();
        for (String part : List.of("settings", "mappings")) {
            if (d.has(part)) {
                if (!d.get(part).isObject()) {
                    throw new ValidationException(where + "." + part + ": expected an object");
                }
                create.set(part, d.get(part));
            }
        }
        return new Spec(alias, index, create, field, (int) dev.tidemark.migration.Declaration.number(d, "batchSize", where, 1000, 1, 10_000), (int) dev.tidemark.migration.Declaration.number(d, "sample", where, 100, 0, 10_000),
            dev.tidemark.migration.Declaration.number(d, "catchUpLagMillis", where, 2000, 0, 3_600_000));
    }

    private static String name(JsonNode d, String field, String where) {
        String v = d.path(field).asText("");
        if (!NAME.matcher(v).matches()) {
            throw new ValidationException(where + "." + field + ": expected an index or alias name (lower case letters, digits, '_', '.', '-')");
        }
        return v;
    }

    @Override
    public boolean declares(MigrationScript script) {
        return declared(script).isPresent();
    }

    @Override
    public BackfillProgress run(MigrationScript script, BooleanSupplier outOfTime) {
        Spec spec = declared(script).orElseThrow();
        long t0 = System.nanoTime();
        String version = script.version().toString();
        if (client.send("HEAD", "/" + STATE, null).status() == 404) {
            // created here rather than by a first write: a cluster may refuse to create indices automatically
            ElasticClient.Reply created = client.send("PUT", "/" + STATE, "{\"settings\": {\"number_of_shards\": 1, \"auto_expand_replicas\": \"0-1\"}}");
            if (!created.ok() && created.status() != 400) {
                throw created.failure("elasticsearch target '" + target + "': reindex state");
            }
        }
        State state = load(version);
        // a finished state whose alias points to the new index was left by a call that ended before the version was
        // recorded: done; a finished one whose alias points elsewhere (the version was undone since) starts over
        boolean done = state != null && state.doc.path("finished").asBoolean() && state.doc.path("checksum").asInt() == script.checksum()
            && client.send("GET", "/_alias/" + enc(spec.alias()), null).body().has(spec.index());
        if (!done && (state == null || state.doc.path("finished").asBoolean() || state.doc.path("checksum").asInt() != script.checksum())) {
            state = start(script, spec, state);
        }
        long copiedBefore = state.doc.path("copied").asLong();
        while (!state.doc.path("finished").asBoolean()) {
            String step = state.doc.path("step").asText();
            switch (step) {
                case "task" -> pollTask(script, state, outOfTime);
                case "copy" -> copyPage(script, spec, state);
                case "catchup" -> catchUpPass(script, spec, state);
                case "swap" -> verifyAndSwap(script, spec, state);
                default -> throw new IllegalStateException(step);
            }
            state = save(version, state);
            if (!state.doc.path("finished").asBoolean() && outOfTime.getAsBoolean()) {
                break;
            }
        }
        double seconds = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
        long copied = state.doc.path("copied").asLong();
        return new BackfillProgress(script.version(), script.script(), copied, state.doc.path("estimated").asLong(-1),
            state.doc.path("batches").asLong(), Math.round((copied - copiedBefore) / seconds * 10) / 10.0, state.doc.path("finished").asBoolean(),
            state.doc.path("mode").asText("scroll and _bulk"));
    }

    /** The state document and its compare-and-set position. */
    private record State(ObjectNode doc, long seqNo, long primaryTerm) {
    }

    private State load(String version) {
        ElasticClient.Reply r = client.send("GET", "/" + STATE + "/_doc/" + enc(version), null);
        if (r.status() == 404) {
            return null;
        }
        if (!r.ok()) {
            throw r.failure("elasticsearch target '" + target + "': reindex state");
        }
        return new State((ObjectNode) r.body().path("_source"), r.body().path("_seq_no").asLong(), r.body().path("_primary_term").asLong());
    }

    private State save(String version, State s) {
        String cas = s.seqNo < 0 ? "?op_type=create&refresh=true" : "?if_seq_no=" + s.seqNo + "&if_primary_term=" + s.primaryTerm + "&refresh=true";
        ElasticClient.Reply r = client.send("PUT", "/" + STATE + "/_doc/" + enc(version) + cas, s.doc.toString());
        if (r.status() == 409) {
            throw new dev.tidemark.error.LockContentionException("elasticsearch target '" + target + "': reindex " + version
                + ": another run advanced it meanwhile");
        }
        if (!r.ok()) {
            throw r.failure("elasticsearch target '" + target + "': reindex state");
        }
        return new State(s.doc, r.body().path("_seq_no").asLong(), r.body().path("_primary_term").asLong());
    }

    /** Resolves the alias, creates the new index, notes where the catch-up starts, and starts the copy. */
    private State start(MigrationScript script, Spec spec, State previous) {
        ElasticClient.Reply aliases = client.send("GET", "/_alias/" + enc(spec.alias()), null);
        if (aliases.status() == 404) {
            throw new ValidationException("migration " + script.script() + ": reindex.alias: no alias " + spec.alias());
        }
        ok(aliases, "alias " + spec.alias());
        String source = null;
        int holders = 0;
        for (Iterator<String> it = aliases.body().fieldNames(); it.hasNext(); ) {
            String index = it.next();
            holders++;
            JsonNode a = aliases.body().path(index).path("aliases").path(spec.alias());
            if (source == null || a.path("is_write_index").asBoolean(false)) {
                source = index;
            }
        }
        if (source.equals(spec.index())) {
            throw new ValidationException("migration " + script.script() + ": reindex.index: the alias " + spec.alias() + " already points to "
                + spec.index());
        }
        if (holders > 1) {
            throw new ValidationException("migration " + script.script() + ": reindex.alias: " + spec.alias() + " points to " + holders
                + " indices; a reindex moves an alias of one index");
        }
        if (client.send("HEAD", "/" + enc(spec.index()), null).status() == 404) {
            ok(client.send("PUT", "/" + enc(spec.index()), spec.create().toString()), "create " + spec.index());
        }
        JsonNode from = highest(source, spec.catchUpField()); // before the refresh, as in every pass
        ok(client.send("POST", "/" + enc(source) + "/_refresh", null), "refresh");
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put("checksum", script.checksum());
        doc.put("source", source);
        doc.put("finished", false);
        doc.put("copied", 0);
        doc.put("batches", 0);
        doc.put("estimated", count(source));
        doc.set("from", from);
        ElasticClient.Reply task = client.send("POST", "/_reindex?wait_for_completion=false&slices=auto&refresh=true",
            "{\"source\": {\"index\": " + quote(source) + "}, \"dest\": {\"index\": " + quote(spec.index()) + "}}");
        if (task.ok() && task.body().hasNonNull("task")) {
            doc.put("step", "task");
            doc.put("mode", "_reindex task");
            doc.put("task", task.body().path("task").asText());
        } else if ((task.status() == 400 || task.status() == 404 || task.status() == 405) && !task.body().path("error").isObject()) {
            doc.put("step", "copy"); // no reindex module: a point in time read with search_after, written with _bulk
        } else {
            throw task.failure("elasticsearch target '" + target + "': _reindex");
        }
        return new State(doc, previous == null ? -1 : previous.seqNo, previous == null ? 0 : previous.primaryTerm);
    }

    /** Polls the server-side {@code _reindex} task, a second at a time, until it ends or the call's time is spent. */
    private void pollTask(MigrationScript script, State s, BooleanSupplier outOfTime) {
        while (true) {
            ElasticClient.Reply r = client.send("GET", "/_tasks/" + enc(s.doc.path("task").asText()), null);
            ok(r, "reindex task");
            JsonNode status = r.body().path("task").path("status");
            s.doc.put("copied", status.path("created").asLong() + status.path("updated").asLong());
            s.doc.put("batches", status.path("batches").asLong());
            if (r.body().path("completed").asBoolean()) {
                JsonNode response = r.body().path("response");
                if (response.path("failures").size() > 0 || r.body().has("error")) {
                    throw new MigrationFailedException("elasticsearch", target, script.version().toString(), script.script(), "_reindex into "
                        + s.doc.path("source").asText() + " -> new index failed for " + Math.max(1, response.path("failures").size())
                        + " document(s), e.g. " + response.path("failures").path(0).path("cause").path("type").asText(r.body().path("error").path("type")
                        .asText()), null);
                }
                s.doc.put("copied", response.path("created").asLong() + response.path("updated").asLong());
                s.doc.put("step", "catchup");
                return;
            }
            if (outOfTime.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * One page of the client-side copy: the next {@code batchSize} documents of a scroll (a point-in-time view of the old
     * index, kept ten minutes between invocations), indexed into the new index. An expired scroll starts the copy over;
     * it overwrites by {@code _id}.
     */
    private void copyPage(MigrationScript script, Spec spec, State s) {
        String source = s.doc.path("source").asText();
        ElasticClient.Reply r;
        if (!s.doc.hasNonNull("scroll")) {
            r = client.send("POST", "/" + enc(source) + "/_search?scroll=10m", "{\"size\": " + spec.batchSize() + ", \"sort\": [\"_doc\"]}");
        } else {
            r = client.send("POST", "/_search/scroll", "{\"scroll\": \"10m\", \"scroll_id\": " + quote(s.doc.path("scroll").asText()) + "}");
            if (r.status() == 404) {
                s.doc.remove("scroll");
                return;
            }
        }
        ok(r, "scroll of " + source);
        s.doc.put("scroll", r.body().path("_scroll_id").asText());
        ArrayNode hits = (ArrayNode) r.body().path("hits").path("hits");
        if (!hits.isEmpty()) {
            bulk(script, spec.index(), hits);
            s.doc.put("copied", s.doc.path("copied").asLong() + hits.size());
            s.doc.put("batches", s.doc.path("batches").asLong() + 1);
            return;
        }
        client.send("DELETE", "/_search/scroll", "{\"scroll_id\": " + quote(s.doc.path("scroll").asText()) + "}");
        s.doc.remove("scroll");
        s.doc.put("step", "catchup");
    }

    /**
     * One catch-up pass: the documents whose catch-up field is at or above the highest value when the previous pass began
     * (when the copy began, for the first pass). A small pass moves on to the swap.
     */
    private void catchUpPass(MigrationScript script, Spec spec, State s) {
        String source = s.doc.path("source").asText();
        // the mark is read before the refresh: every write it covers has then reached the index, on every shard
        JsonNode next = highest(source, spec.catchUpField());
        ok(client.send("POST", "/" + enc(source) + "/_refresh", null), "refresh");
        long copied = copyChanged(script, spec, source, s.doc.get("from"));
        s.doc.put("copied", s.doc.path("copied").asLong() + copied);
        // what came in since the previous mark (the lag window, copied again each pass, does not count)
        long fresh = s.doc.get("from") == null || s.doc.get("from").isNull() ? copied : countSince(source, spec, s.doc.get("from"));
        s.doc.set("from", next);
        if (fresh <= SMALL_PASS) {
            s.doc.put("step", "swap");
        }
    }

    /** Copies the documents of {@code source} whose catch-up field is at or above {@code from}. */
    private long copyChanged(MigrationScript script, Spec spec, String source, JsonNode from) {
        // a date: writers with their own clocks finish out of order, so a pass also takes the lag before the mark again
        return copyQuery(script, spec, source, since(spec, from, spec.lagMillis()));
    }

    /**
     * @param mark the highest value of the catch-up field at a pass (a number, or a date as {@link #highest} gives it), or
     *             null when no document had the field
     * @param lagMillis for a date: how far before the mark to start
     * @return the query for the documents at or above the mark: with the field at all when there was no mark
     */
    private static ObjectNode since(Spec spec, JsonNode mark, long lagMillis) {
        ObjectNode query = Json.MAPPER.createObjectNode();
        if (mark == null || mark.isNull()) {
            // no document had the field when the previous pass began: every document that has it now was written since
            query.putObject("exists").put("field", spec.catchUpField());
        } else if (mark.isObject()) {
            query.putObject("range").putObject(spec.catchUpField()).put("gte", mark.path("millis").asLong() - lagMillis).put("format", "epoch_millis");
        } else {
            query.putObject("range").putObject(spec.catchUpField()).set("gte", mark);
        }
        return query;
    }

    /** Copies what {@code query} matches in {@code source} with a scroll (every cluster has it), page by page through {@code _bulk}. */
    private long copyQuery(MigrationScript script, Spec spec, String source, JsonNode query) {
        ObjectNode search = Json.MAPPER.createObjectNode();
        search.put("size", spec.batchSize());
        search.set("query", query);
        search.putArray("sort").add("_doc");
        ElasticClient.Reply r = client.send("POST", "/" + enc(source) + "/_search?scroll=2m", search.toString());
        ok(r, "search of " + source);
        String scroll = r.body().path("_scroll_id").asText(null);
        long copied = 0;
        try {
            while (true) {
                ArrayNode hits = (ArrayNode) r.body().path("hits").path("hits");
                if (hits.isEmpty()) {
                    return copied;
                }
                bulk(script, spec.index(), hits);
                copied += hits.size();
                r = client.send("POST", "/_search/scroll", "{\"scroll\": \"2m\", \"scroll_id\": " + quote(scroll) + "}");
                ok(r, "scroll of " + source);
                scroll = r.body().path("_scroll_id").asText(scroll);
            }
        } finally {
            if (scroll != null) {
                client.send("DELETE", "/_search/scroll", "{\"scroll_id\": " + quote(scroll) + "}");
            }
        }
    }

    private void bulk(MigrationScript script, String index, ArrayNode hits) {
        StringBuilder nd = new StringBuilder();
        for (JsonNode h : hits) {
            nd.append("{\"").append("index").append("\": {\"_index\": ").append(quote(index)).append(", \"_id\": ")
                .append(quote(h.path("_id").asText())).append("}}\n").append(h.path("_source").toString()).append('\n');
        }
        ElasticClient.Reply r = client.send("POST", "/_bulk?refresh=false", nd.toString());
        ok(r, "_bulk into " + index);
        if (r.body().path("errors").asBoolean()) {
            for (JsonNode item : r.body().path("items")) {
                JsonNode result = item.elements().next();
                if (result.path("status").asInt() >= 300) {
                    throw new MigrationFailedException("elasticsearch", target, script.version().toString(), script.script(), "_bulk into " + index
                        + " refused a document: " + result.path("error").path("type").asText() + " (HTTP " + result.path("status").asInt() + ")", null);
                }
            }
        }
    }

    /**
     * The last step: writes to the old index are blocked ({@code index.blocks.write}; writers through the alias get a
     * 403 for this moment and retry), a final catch-up pass copies what came in since the previous one, the counts must
     * match and each sampled document must have the same source in both, then the alias moves in one {@code _aliases}
     * call. The old index stays read-only until a contract migration deletes it (the undo lifts the block). A check that
     * fails lifts the block and leaves the alias where it was.
     */
    private void verifyAndSwap(MigrationScript script, Spec spec, State s) {
        String source = s.doc.path("source").asText();
        ok(client.send("PUT", "/" + enc(source) + "/_settings", "{\"index.blocks.write\": true}"), "write block on " + source);
        boolean swapped = false;
        try {
            long a = -1;
            long b = -2;
            // a write accepted just before the block may land after a refresh: passes go on (writes are blocked, so they end)
            JsonNode previous = null;
            // passes go on until the old index stops changing: a write accepted just before the block may land after a refresh
            for (int pass = 0; pass < 10; pass++) {
                JsonNode next = highest(source, spec.catchUpField());
                ok(client.send("POST", "/" + enc(source) + "/_refresh", null), "refresh");
                s.doc.put("copied", s.doc.path("copied").asLong() + copyChanged(script, spec, source, s.doc.get("from")));
                s.doc.set("from", next);
                ok(client.send("POST", "/" + enc(source) + "," + enc(spec.index()) + "/_refresh", null), "refresh");
                a = count(source);
                b = count(spec.index());
                if (pass > 0 && a == b && java.util.Objects.equals(next, previous)) {
                    break;
                }
                previous = next;
            }
            if (a != b) {
                throw new MigrationFailedException("elasticsearch", target, script.version().toString(), script.script(), "after the copy and "
                    + "catch-up the old index holds " + a + " documents and " + spec.index() + " " + b + " (documents deleted during the copy are not"
                    + " caught up); the alias was not moved", null);
            }
            compareSample(script, spec, source);
            String actions = "{\"actions\": [{\"remove\": {\"index\": " + quote(source) + ", \"alias\": " + quote(spec.alias()) + "}}, "
                + "{\"add\": {\"index\": " + quote(spec.index()) + ", \"alias\": " + quote(spec.alias()) + ", \"is_write_index\": true}}]}";
            ok(client.send("POST", "/_aliases", actions), "_aliases");
            swapped = true;
        } finally {
            if (!swapped) {
                client.send("PUT", "/" + enc(source) + "/_settings", "{\"index.blocks.write\": null}");
            }
        }
        s.doc.put("step", "done");
        s.doc.put("finished", true);
    }

    /** The sample: random documents, whose source must be the same in both indices (writes are blocked meanwhile). */
    private void compareSample(MigrationScript script, Spec spec, String source) {
        if (spec.sample() == 0) {
            return;
        }
        ObjectNode search = Json.MAPPER.createObjectNode();
        search.put("size", spec.sample());
        search.putObject("query").putObject("function_score").put("random_score", Json.MAPPER.createObjectNode().put("seed", System.nanoTime())
            .put("field", "_seq_no"));
        ElasticClient.Reply r = client.send("POST", "/" + enc(source) + "/_search", search.toString());
        ok(r, "sample of " + source);
        ArrayNode ids = Json.MAPPER.createArrayNode();
        java.util.Map<String, JsonNode> sources = new java.util.HashMap<>();
        for (JsonNode h : r.body().path("hits").path("hits")) {
            ids.add(h.path("_id").asText());
            sources.put(h.path("_id").asText(), h.path("_source"));
        }
        if (ids.isEmpty()) {
            return;
        }
        ElasticClient.Reply m = client.send("POST", "/" + enc(spec.index()) + "/_mget", "{\"ids\": " + ids + "}");
        ok(m, "_mget on " + spec.index());
        int differ = 0;
        for (JsonNode d : m.body().path("docs")) {
            if (!d.path("found").asBoolean() || !d.path("_source").equals(sources.get(d.path("_id").asText()))) {
                differ++;
            }
        }
        if (differ > 0) {
            throw new MigrationFailedException("elasticsearch", target, script.version().toString(), script.script(), differ + " of " + ids.size()
                + " sampled documents differ between the old index and " + spec.index() + "; the alias was not moved", null);
        }
    }

    private long countSince(String index, Spec spec, JsonNode mark) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("query", since(spec, mark, 0));
        ElasticClient.Reply r = client.send("POST", "/" + enc(index) + "/_count", body.toString());
        ok(r, "count of " + index);
        return r.body().path("count").asLong();
    }

    private long count(String index) {
        ElasticClient.Reply r = client.send("GET", "/" + enc(index) + "/_count", null);
        ok(r, "count of " + index);
        return r.body().path("count").asLong();
    }

    /** @return the highest value of the catch-up field in {@code index} (a number, or a date as text), or null when no document has it */
    private JsonNode highest(String index, String field) {
        ElasticClient.Reply r = client.send("POST", "/" + enc(index) + "/_search", "{\"size\": 0, \"aggs\": {\"m\": {\"max\": {\"field\": "
            + quote(field) + "}}}}");
        ok(r, "highest " + field + " in " + index);
        JsonNode m = r.body().path("aggregations").path("m");
        if (!m.path("value").isNumber()) {
            return null;
        }
        // a date comes back as epoch milliseconds (kept, with its text for people) and is queried as epoch_millis
        if (m.hasNonNull("value_as_string")) {
            ObjectNode date = Json.MAPPER.createObjectNode();
            date.put("millis", m.path("value").asLong());
            date.put("text", m.path("value_as_string").asText());
            return date;
        }
        return Json.MAPPER.getNodeFactory().numberNode(m.path("value").decimalValue());
    }

    private void ok(ElasticClient.Reply r, String what) {
        if (!r.ok()) {
            throw r.failure("elasticsearch target '" + target + "': reindex: " + what);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String quote(String s) {
        try {
            return Json.MAPPER.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean finished(MigrationScript script) {
        State s = load(script.version().toString());
        return s != null && s.doc.path("finished").asBoolean() && s.doc.path("checksum").asInt() == script.checksum();
    }

    @Override
    public void forget(MigrationScript script) {
        ElasticClient.Reply r = client.send("DELETE", "/" + STATE + "/_doc/" + enc(script.version().toString()) + "?refresh=true", null);
        if (!r.ok() && r.status() != 404) {
            throw new ConnectionException("elasticsearch target '" + target + "': reindex state: HTTP " + r.status());
        }
    }
}
