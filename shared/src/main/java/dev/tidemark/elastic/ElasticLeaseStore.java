package dev.tidemark.elastic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.migration.LeaseStore;

import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Lease lock document {@code migration} in the index {@code tidemark_lock}: {@code {owner, epoch, acquired_at,
 * heartbeat_at, expires_at}}, created with {@code op_type=create} (only one creator wins, epoch 1), and taken over
 * (epoch raised by one), renewed and released by compare-and-set on {@code _seq_no} and {@code _primary_term} (a
 * concurrent writer gets 409 and loses). Releasing expires the lease and keeps the epoch. Only real-time GETs by id read
 * it, so no write needs a refresh.
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
            "epoch", Map.of("type", "long"),
            "acquired_at", Map.of("type", "date", "format", "epoch_millis"),
            "heartbeat_at", Map.of("type", "date", "format", "epoch_millis"),
            "expires_at", Map.of("type", "date", "format", "epoch_millis")), target);
    }

    private static Map<String, Object> doc(String owner, long epoch, Instant acquired, Instant now, Instant expiresAt) {
        return Map.of("owner", owner, "epoch", epoch, "acquired_at", acquired.toEpochMilli(), "heartbeat_at", now.toEpochMilli(),
            "expires_at", expiresAt.toEpochMilli());
    }

    /** @return the lock document (with {@code _seq_no}, {@code _primary_term}, {@code _source}), or {@code null} */
    private JsonNode current() {
        ElasticClient.Reply current = client.send("GET", DOC, null);
        if (current.status() == 503) {
            ElasticHistoryStore.awaitShard(client, INDEX); // once: the index may have just been created by another run
            current = client.send("GET", DOC, null);
        }
        if (current.status() == 404) {
            return null;
        }
        if (!current.ok()) {
            throw current.failure("elasticsearch target '" + target + "': cannot read the lock");
        }
        return current.body();
    }

    @Override
    public long tryAcquire(String owner, Instant now, Instant expiresAt) {
        ensureIndex();
        ElasticClient.Reply created = client.sendJson("PUT", "/" + INDEX + "/_create/migration", doc(owner, 1, now, now, expiresAt));
        if (created.ok()) {
            return 1;
        }
        if (created.status() != 409) {
            throw created.failure("elasticsearch target '" + target + "': cannot write lock");
        }
        JsonNode current = current();
        if (current == null) {
            return -1;
        }
        JsonNode source = current.path("_source");
        if (source.path("expires_at").asLong() > now.toEpochMilli()) {
            return -1;
        }
        long epoch = source.path("epoch").asLong(0) + 1;
        return compareAndSet(current, doc(owner, epoch, now, now, expiresAt)) ? epoch : -1;
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

    private static boolean mine(JsonNode current, String owner, long epoch) {
        JsonNode s = current == null ? null : current.path("_source");
        return s != null && owner.equals(s.path("owner").asText()) && s.path("epoch").asLong(0) == epoch;
    }

    @Override
    public boolean renew(String owner, long epoch, Instant now, Instant expiresAt) {
        JsonNode current = current();
        if (!mine(current, owner, epoch) || current.path("_source").path("expires_at").asLong() <= now.toEpochMilli()) {
            return false;
        }
        Instant acquired = Instant.ofEpochMilli(current.path("_source").path("acquired_at").asLong());
        return compareAndSet(current, doc(owner, epoch, acquired, now, expiresAt));
    }

    @Override
    public boolean holds(String owner, long epoch, Instant now) {
        JsonNode current = current();
        return mine(current, owner, epoch) && current.path("_source").path("expires_at").asLong() > now.toEpochMilli();
    }

    @Override
    public void release(String owner, long epoch) {
        JsonNode current = current();
        if (!mine(current, owner, epoch)) {
            return;
        }
        JsonNode s = current.path("_source");
        Instant acquired = Instant.ofEpochMilli(s.path("acquired_at").asLong());
        compareAndSet(current, doc(owner, epoch, acquired, Instant.ofEpochMilli(s.path("heartbeat_at").asLong()), Instant.EPOCH));
    }

    @Override
    public OptionalLong liveEpoch(Instant now) {
        JsonNode current = current();
        if (current == null || current.path("_source").path("expires_at").asLong() <= now.toEpochMilli()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(current.path("_source").path("epoch").asLong(0));
    }

    @Override
    public long lastEpoch() {
        JsonNode current = current();
        return current == null ? 0 : current.path("_source").path("epoch").asLong(0);
    }

    @Override
    public String describeHolder() {
        JsonNode current = current();
        if (current == null) {
            return null;
        }
        JsonNode s = current.path("_source");
        return s.path("owner").asText() + " (epoch " + s.path("epoch").asLong(0) + ") until " + Instant.ofEpochMilli(s.path("expires_at").asLong());
    }
}
