package dev.tidemark.elastic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.migration.LeaseStore;

import java.time.Instant;
import java.util.Map;

/**
 * Lease lock document {@code migration} in the index {@code tidemark_lock}: created with {@code op_type=create}
 * (only one creator wins), renewed and taken over after expiry by compare-and-set on {@code _seq_no} and
 * {@code _primary_term} (a concurrent writer gets 409 and loses). Only real-time GETs by id read it, so no write
 * needs a refresh.
 */
public final class ElasticLeaseStore implements LeaseStore {

    /** Index name. */
    public static final String INDEX = "tidemark_lock";
    private static final String DOC = "/" + INDEX + "/_doc/migration";

    private final ElasticClient client;
    private final String target;
    private boolean indexExists;

    /**
     * @param client the cluster
     * @param target the target name, for messages
     */
    public ElasticLeaseStore(ElasticClient client, String target) {
        this.client = client;
        this.target = target;
    }

    private void ensureIndex() {
        if (indexExists) {
            return;
        }
        indexExists = true;
        ElasticHistoryStore.ensureIndex(client, INDEX, Map.of(
            "owner", Map.of("type", "keyword"),
            "acquired_at", Map.of("type", "date", "format", "epoch_millis"),
            "heartbeat_at", Map.of("type", "date", "format", "epoch_millis"),
            "expires_at", Map.of("type", "date", "format", "epoch_millis")), target);
    }

    private static Map<String, Object> doc(String owner, Instant acquired, Instant now, Instant expiresAt) {
        return Map.of("owner", owner, "acquired_at", acquired.toEpochMilli(), "heartbeat_at", now.toEpochMilli(),
            "expires_at", expiresAt.toEpochMilli());
    }

    @Override
    public boolean tryAcquire(String owner, Instant now, Instant expiresAt) {
        ensureIndex();
        ElasticClient.Reply created = client.sendJson("PUT", "/" + INDEX + "/_create/migration", doc(owner, now, now, expiresAt));
        if (created.ok()) {
            return true;
        }
        if (created.status() != 409) {
            throw created.failure("elasticsearch target '" + target + "': cannot write lock");
        }
        ElasticClient.Reply current = client.send("GET", DOC, null);
        if (current.status() == 404) {
            return false;
        }
        JsonNode source = current.body().path("_source");
        boolean mine = owner.equals(source.path("owner").asText());
        boolean expired = source.path("expires_at").asLong() < now.toEpochMilli();
        if (!mine && !expired) {
            return false;
        }
        return compareAndSet(current.body(), doc(owner, now, now, expiresAt));
    }

    private boolean compareAndSet(JsonNode current, Map<String, Object> next) {
        String query = "?if_seq_no=" + current.path("_seq_no").asLong() + "&if_primary_term=" + current.path("_primary_term").asLong();
        ElasticClient.Reply written = client.sendJson("PUT", DOC + query, next);
        if (written.ok()) {
            return true;
        }
        if (written.status() == 409) {
            return false;
        }
        throw written.failure("elasticsearch target '" + target + "': cannot write lock");
    }

    @Override
    public boolean renew(String owner, Instant now, Instant expiresAt) {
        ElasticClient.Reply current = client.send("GET", DOC, null);
        if (current.status() == 404 || !owner.equals(current.body().path("_source").path("owner").asText())) {
            return false;
        }
        Instant acquired = Instant.ofEpochMilli(current.body().path("_source").path("acquired_at").asLong());
        return compareAndSet(current.body(), doc(owner, acquired, now, expiresAt));
    }

    @Override
    public void release(String owner) {
        ElasticClient.Reply current = client.send("GET", DOC, null);
        if (current.status() == 404 || !owner.equals(current.body().path("_source").path("owner").asText())) {
            return;
        }
        JsonNode c = current.body();
        client.send("DELETE", DOC + "?if_seq_no=" + c.path("_seq_no").asLong() + "&if_primary_term=" + c.path("_primary_term").asLong(), null);
    }

    @Override
    public boolean isHeld(Instant now) {
        ElasticClient.Reply current = client.send("GET", DOC, null);
        return current.status() == 200 && current.body().path("_source").path("expires_at").asLong() > now.toEpochMilli();
    }

    @Override
    public String describeHolder() {
        ElasticClient.Reply current = client.send("GET", DOC, null);
        if (current.status() == 404) {
            return null;
        }
        JsonNode s = current.body().path("_source");
        return s.path("owner").asText() + " until " + Instant.ofEpochMilli(s.path("expires_at").asLong());
    }
}
