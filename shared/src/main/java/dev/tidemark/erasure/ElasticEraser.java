package dev.tidemark.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.StoreException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.migration.Store;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Erases one data subject from an Elasticsearch target per its {@link ErasurePlan}: every index or alias must exist and be
 * neither hidden, {@code .}-prefixed nor Tidemark's before anything runs; then per item the subject's entries are found
 * with a {@code term} query on the plan's field (the id sent as a JSON value, never spliced into the query) and deleted
 * with {@code _delete_by_query} ({@code refresh}, {@code conflicts=proceed}, {@code wait_for_completion}, at most ten
 * batches of {@code batchSize} per request) where the cluster has the reindex module, and otherwise through
 * {@code _bulk} by {@code _index}, {@code _id} and routing, {@code batchSize} at a time with {@code refresh}; then what
 * remains is counted. A cluster without the module answers {@code _delete_by_query} with 400, 404 or 405 and no
 * structured error (no handler for the route): the eraser then uses search and {@code _bulk} for the rest of the call.
 */
public final class ElasticEraser {

    private static final Set<String> TIDEMARK = Set.of("tidemark_schema_history", "tidemark_lock");

    private final String target;
    private final ErasurePlan plan;
    private final int batchSize;
    /** Whether the cluster has {@code _delete_by_query}: unknown until the first erasing request. */
    private Boolean deleteByQuery;

    /**
     * @param target the target's name, for messages
     * @param plan the target's plan ({@link Store#ELASTICSEARCH})
     * @param batchSize entries per search and {@code _bulk} request (1 to 10,000)
     */
    public ElasticEraser(String target, ErasurePlan plan, int batchSize) {
        if (plan.store() != Store.ELASTICSEARCH) {
            throw new IllegalArgumentException("an Elasticsearch plan is needed");
        }
        this.target = target;
        this.plan = plan;
        this.batchSize = Erasures.batchSize(batchSize, 10_000);
    }

    /**
     * @param client the cluster, as the eraser role
     * @param subject the data subject
     * @param dryRun count what would be erased and change nothing
     * @return per item: matched, erased, remaining (0 after an erasure; on a dry run, what an erasure would act on), duration
     * @throws ValidationException naming the plan field when an index is missing, hidden or internal; nothing ran
     * @throws ConnectionException when the cluster cannot be reached or answers 429 or 5xx: retry; what was deleted stays
     *                             deleted
     * @throws StoreException for any other refusal, or when a verification found entries left
     */
    public ErasureResult erase(ElasticClient client, SubjectId subject, boolean dryRun) {
        return erase(client, subject, dryRun, () -> false);
    }

    /**
     * As {@link #erase(ElasticClient, SubjectId, boolean)} within a time budget: once {@code stop} answers {@code true},
     * the item in hand runs at most one more batch, later items are only counted, and the result says {@code done: false}.
     *
     * @param stop whether the call's time is up
     * @return the verified counts
     */
    public ErasureResult erase(ElasticClient client, SubjectId subject, boolean dryRun, java.util.function.BooleanSupplier stop) {
        if (subject.type() != plan.idType()) {
            throw new ValidationException("subject.id: the plan's id type is " + plan.idType().id());
        }
        long start = System.nanoTime();
        for (ErasurePlan.Item item : plan.items()) {
            check(client, item);
        }
        List<ErasureResult.Item> out = new ArrayList<>();
        for (ErasurePlan.Item item : plan.items()) {
            boolean countOnly = dryRun || Erasures.firstLeft(out).isPresent(); // out of time: later items only count
            out.add(run(client, item, subject, countOnly, stop));
        }
        boolean partial = !dryRun && Erasures.firstLeft(out).isPresent() && stop.getAsBoolean();
        if (!dryRun && !partial) {
            Erasures.requireNothingLeft("elasticsearch", target, out, "entr(y/ies)", "what was deleted stays deleted");
        }
        return new ErasureResult(Store.ELASTICSEARCH, target, dryRun, plan.sha256(), List.copyOf(out), (System.nanoTime() - start) / 1_000_000,
            !partial);
    }

    private void check(ElasticClient client, ErasurePlan.Item item) {
        String f = ErasurePlan.FILE + ": " + item.field() + ".index";
        String name = item.name();
        if (!name.matches("[a-z0-9][a-z0-9_.+-]{0,254}") || TIDEMARK.contains(name)) {
            throw new ValidationException(f + ": '" + name + "' is not one plain index or alias name, or is a Tidemark index");
        }
        ElasticClient.Reply settings = client.send("GET", "/" + enc(name) + "/_settings/index.hidden?flat_settings=true&expand_wildcards=all",
            null);
        if (settings.status() == 404) {
            throw new ValidationException(f + ": no index or alias '" + name + "' in the target's cluster");
        }
        if (!settings.ok()) {
            throw settings.failure("elasticsearch target '" + target + "': reading the settings of " + name);
        }
        for (Map.Entry<String, JsonNode> e : settings.body().properties()) {
            if (e.getKey().startsWith(".") || TIDEMARK.contains(e.getKey())
                || "true".equals(e.getValue().path("settings").path("index.hidden").asText())) {
                throw new ValidationException(f + ": '" + name + "' resolves to a hidden, system or Tidemark index, never erased from");
            }
        }
    }

    private ErasureResult.Item run(ElasticClient client, ErasurePlan.Item item, SubjectId subject, boolean dryRun,
                                   java.util.function.BooleanSupplier stop) {
        long t0 = System.nanoTime();
        String index = "/" + enc(item.name());
        refresh(client, index);
        ObjectNode query = Json.MAPPER.createObjectNode();
        ObjectNode term = query.putObject("term");
        if (subject.typed() instanceof Long l) {
            term.put(item.match(), l);
        } else {
            term.put(item.match(), subject.value());
        }
        long matched = dryRun ? count(client, index, query) : -1;
        long erased = 0;
        if (!dryRun && !Boolean.FALSE.equals(deleteByQuery)) {
            long byQuery = deleteByQuery(client, item, index, query, stop);
            if (byQuery >= 0) {
                erased = byQuery;
            }
        }
        if (!dryRun && Boolean.FALSE.equals(deleteByQuery)) {
            while (true) {
                ObjectNode search = Json.MAPPER.createObjectNode();
                search.put("size", batchSize);
                search.put("_source", false);
                search.set("query", query);
                ElasticClient.Reply hits = client.sendJson("POST", index + "/_search", search);
                if (!hits.ok()) {
                    throw hits.failure("elasticsearch target '" + target + "': searching " + item.name());
                }
                JsonNode found = hits.body().path("hits").path("hits");
                if (found.isEmpty()) {
                    break;
                }
                StringBuilder bulk = new StringBuilder();
                for (JsonNode hit : found) {
                    ObjectNode action = Json.MAPPER.createObjectNode();
                    ObjectNode delete = action.putObject("delete");
                    delete.put("_index", hit.path("_index").asText());
                    delete.put("_id", hit.path("_id").asText());
                    if (hit.hasNonNull("_routing")) {
                        delete.put("routing", hit.path("_routing").asText());
                    }
                    bulk.append(action).append('\n');
                }
                ElasticClient.Reply reply = client.send("POST", "/_bulk?refresh=true", bulk.toString());
                if (!reply.ok()) {
                    throw reply.failure("elasticsearch target '" + target + "': deleting from " + item.name());
                }
                for (JsonNode r : reply.body().path("items")) {
                    int status = r.path("delete").path("status").asInt();
                    if (status == 200) {
                        erased++;
                    } else if (status != 404) {
                        String what = "elasticsearch target '" + target + "': deleting from " + item.name() + ": HTTP " + status;
                        throw status == 429 || status >= 500 ? new ConnectionException(what) : new StoreException(what, null);
                    }
                }
                if (found.size() < batchSize || stop.getAsBoolean()) {
                    break; // a short batch was the last one, or the call's time is up
                }
            }
        }
        long remaining = count(client, index, query);
        if (matched < 0) {
            matched = erased + remaining;
        }
        return new ErasureResult.Item(item.name(), "delete", matched, erased, 0, remaining, (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Deletes the subject's entries with {@code _delete_by_query}, {@code max_docs} ten batches per request, until a
     * request deletes fewer than that, the call's time is up, or nothing is deleted.
     *
     * @return how many were deleted, or -1 when the cluster has no {@code _delete_by_query} (then remembered)
     */
    private long deleteByQuery(ElasticClient client, ErasurePlan.Item item, String index, ObjectNode query, java.util.function.BooleanSupplier stop) {
        long chunk = Math.min(10L * batchSize, 100_000L);
        long deleted = 0;
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("query", query);
        while (true) {
            ElasticClient.Reply r = client.sendJson("POST", index + "/_delete_by_query?refresh=true&conflicts=proceed&wait_for_completion=true"
                + "&max_docs=" + chunk, body);
            if (deleteByQuery == null && (r.status() == 400 || r.status() == 404 || r.status() == 405) && !r.body().path("error").isObject()) {
                deleteByQuery = false; // no handler for the route: a cluster without the reindex module
                return -1;
            }
            if (!r.ok()) {
                throw r.failure("elasticsearch target '" + target + "': _delete_by_query on " + item.name());
            }
            deleteByQuery = true;
            JsonNode failures = r.body().path("failures");
            if (failures.isArray() && !failures.isEmpty()) {
                int status = failures.get(0).path("status").asInt(500);
                String what = "elasticsearch target '" + target + "': _delete_by_query on " + item.name() + ": " + failures.size()
                    + " failure(s), the first HTTP " + status;
                throw status == 429 || status >= 500 ? new ConnectionException(what) : new StoreException(what, null);
            }
            long n = r.body().path("deleted").asLong();
            deleted += n;
            long conflicts = r.body().path("version_conflicts").asLong();
            if (n == 0 || (n + conflicts < chunk && conflicts == 0) || stop.getAsBoolean()) {
                return deleted;
            }
        }
    }

    /** @return whether the last erasure used {@code _delete_by_query} ({@code null}: it did not erase) */
    Boolean usedDeleteByQuery() {
        return deleteByQuery;
    }

    private void refresh(ElasticClient client, String index) {
        ElasticClient.Reply r = client.send("POST", index + "/_refresh", null);
        if (!r.ok()) {
            throw r.failure("elasticsearch target '" + target + "': refreshing " + index.substring(1));
        }
    }

    private long count(ElasticClient client, String index, ObjectNode query) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("query", query);
        ElasticClient.Reply r = client.sendJson("POST", index + "/_count", body);
        if (!r.ok()) {
            throw r.failure("elasticsearch target '" + target + "': counting in " + index.substring(1));
        }
        return r.body().path("count").asLong();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
