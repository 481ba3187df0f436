package dev.tidemark.elastic;

import dev.tidemark.migration.LeasedMigrationEngine;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.Store;

import java.time.Duration;
import java.util.List;

/**
 * Elasticsearch migrations: a {@code V<version>__<description>.http} file holds one or more requests in the Kibana Dev
 * Tools form ({@link HttpScriptParser}), sent in order; an answer outside 2xx fails the migration with Elasticsearch's
 * error type and reason. Requests of a migration are not transactional: those sent before a failing one stay applied
 * and the migration is recorded as failed. History in {@code tidemark_schema_history}, lease lock in
 * {@code tidemark_lock}.
 */
public final class ElasticEngine extends LeasedMigrationEngine<List<HttpRequestSpec>> {

    private final ElasticClient client;

    /**
     * @param target the target name
     * @param client the cluster (closed by {@link #close()})
     * @param scripts resolved {@code .http} migrations
     * @param leaseLength lease length
     * @param lockWait how long to wait for a held lock
     */
    public ElasticEngine(String target, ElasticClient client, List<MigrationScript> scripts, Duration leaseLength, Duration lockWait) {
        super(Store.ELASTICSEARCH, target, scripts, new ElasticHistoryStore(client, target), new ElasticLeaseStore(client, target),
            leaseLength, lockWait, "tidemark");
        this.client = client;
    }

    @Override
    protected List<HttpRequestSpec> parse(MigrationScript script) {
        return HttpScriptParser.parse(script.script(), script.content());
    }

    @Override
    protected List<String> describe(List<HttpRequestSpec> requests) {
        return requests.stream().map(r -> r.method() + " " + r.path() + (r.body() == null ? "" : "\n" + r.body())).toList();
    }

    @Override
    protected void execute(MigrationScript script, List<HttpRequestSpec> requests, boolean cleanup, StepGuard guard) {
        for (HttpRequestSpec r : requests) {
            if (r.path().startsWith("/_tidemark/")) {
                continue; // a reindex's declaration: run step by step by ElasticReindex before the version is recorded
            }
            guard.beforeStep();
            ElasticClient.Reply reply = client.send(r.method(), r.path(), r.body());
            if (cleanup && reply.status() == 404) {
                continue; // the failed migration stopped before creating it
            }
            if (!reply.ok()) {
                throw new dev.tidemark.error.StoreException("line " + r.line() + " " + r.method() + " " + r.path() + " answered "
                    + reply.status() + " " + reply.error(), null);
            }
            if (r.path().contains("_bulk") && reply.body().path("errors").asBoolean(false)) {
                throw new dev.tidemark.error.StoreException("line " + r.line() + " " + r.method() + " " + r.path() + " had item errors", null);
            }
        }
    }

    /** Reindex declarations ({@code POST /_tidemark/reindex}): {@link ElasticReindex}. */
    @Override
    public dev.tidemark.migration.Backfills backfills() {
        return new ElasticReindex(target(), client);
    }

    @Override
    protected String historyType() {
        return "HTTP";
    }

    @Override
    public void ping() {
        ElasticClient.Reply reply = client.send("GET", "/_cluster/health", null);
        if (!reply.ok()) {
            throw reply.failure("elasticsearch target '" + target() + "': cluster health");
        }
    }

    /** @return the client, for health checks */
    public ElasticClient client() {
        return client;
    }

    @Override
    public void close() {
        client.close();
    }
}
