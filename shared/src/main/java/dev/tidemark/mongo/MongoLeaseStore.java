package dev.tidemark.mongo;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import dev.tidemark.migration.LeaseStore;
import org.bson.Document;

import java.time.Instant;
import java.util.Date;
import java.util.OptionalLong;

/**
 * Lease lock document {@code {_id: "migration", owner, epoch, acquired_at, heartbeat_at, expires_at}} in the collection
 * {@code tidemark_lock}. Taking it is one conditional upsert that raises {@code epoch}: it matches only a free or expired
 * lock, and the unique {@code _id} turns a concurrent taker's upsert into a duplicate-key error (code 11000), i.e.
 * "held". Renewing matches owner, epoch and an unexpired lease. Releasing expires it and keeps the epoch.
 */
public final class MongoLeaseStore implements LeaseStore {

    /** Collection name. */
    public static final String COLLECTION = "tidemark_lock";
    private static final String ID = "migration";

    private final MongoCollection<Document> collection;

    /** @param database the target database */
    public MongoLeaseStore(MongoDatabase database) {
        this.collection = database.getCollection(COLLECTION);
    }

    private static long epochOf(Document d) {
        Number n = d == null ? null : d.get("epoch", Number.class);
        return n == null ? 0 : n.longValue();
    }

    @Override
    public long tryAcquire(String owner, Instant now, Instant expiresAt) {
        try {
            Document held = collection.findOneAndUpdate(
                Filters.and(Filters.eq("_id", ID), Filters.lte("expires_at", Date.from(now))),
                Updates.combine(Updates.set("owner", owner), Updates.set("acquired_at", Date.from(now)),
                    Updates.set("heartbeat_at", Date.from(now)), Updates.set("expires_at", Date.from(expiresAt)), Updates.inc("epoch", 1L)),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
            return held != null && owner.equals(held.getString("owner")) ? epochOf(held) : -1;
        } catch (MongoCommandException e) {
            if (e.getErrorCode() == 11000) {
                return -1;
            }
            throw e;
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                return -1;
            }
            throw e;
        }
    }

    private static org.bson.conversions.Bson mine(String owner, long epoch) {
        return Filters.and(Filters.eq("_id", ID), Filters.eq("owner", owner), Filters.eq("epoch", epoch));
    }

    @Override
    public boolean renew(String owner, long epoch, Instant now, Instant expiresAt) {
        return collection.updateOne(Filters.and(mine(owner, epoch), Filters.gt("expires_at", Date.from(now))),
            Updates.combine(Updates.set("heartbeat_at", Date.from(now)), Updates.set("expires_at", Date.from(expiresAt))))
            .getMatchedCount() == 1;
    }

    @Override
    public boolean holds(String owner, long epoch, Instant now) {
        return collection.countDocuments(Filters.and(mine(owner, epoch), Filters.gt("expires_at", Date.from(now)))) > 0;
    }

    @Override
    public void release(String owner, long epoch) {
        collection.updateOne(mine(owner, epoch), Updates.set("expires_at", new Date(0)));
    }

    @Override
    public OptionalLong liveEpoch(Instant now) {
        Document d = collection.find(Filters.eq("_id", ID)).first();
        if (d == null || d.getDate("expires_at") == null || !d.getDate("expires_at").toInstant().isAfter(now)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(epochOf(d));
    }

    @Override
    public long lastEpoch() {
        return epochOf(collection.find(Filters.eq("_id", ID)).first());
    }

    @Override
    public String describeHolder() {
        Document d = collection.find(Filters.eq("_id", ID)).first();
        if (d == null) {
            return null;
        }
        Date expires = d.getDate("expires_at");
        return d.getString("owner") + " (epoch " + epochOf(d) + ") until " + (expires == null ? "?" : expires.toInstant());
    }
}
