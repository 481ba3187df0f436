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

/**
 * Lease lock document {@code {_id: "migration", owner, acquired_at, heartbeat_at, expires_at}} in the collection
 * {@code tidemark_lock}. Taking it is one conditional upsert: it matches only a free, expired or own lock, and the
 * unique {@code _id} turns a concurrent taker's upsert into a duplicate-key error (code 11000), i.e. "held".
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

    @Override
    public boolean tryAcquire(String owner, Instant now, Instant expiresAt) {
        try {
            Document held = collection.findOneAndUpdate(
                Filters.and(Filters.eq("_id", ID), Filters.or(Filters.lt("expires_at", Date.from(now)), Filters.eq("owner", owner))),
                Updates.combine(Updates.set("owner", owner), Updates.set("acquired_at", Date.from(now)),
                    Updates.set("heartbeat_at", Date.from(now)), Updates.set("expires_at", Date.from(expiresAt))),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
            return held != null && owner.equals(held.getString("owner"));
        } catch (MongoCommandException e) {
            if (e.getErrorCode() == 11000) {
                return false;
            }
            throw e;
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public boolean renew(String owner, Instant now, Instant expiresAt) {
        return collection.updateOne(Filters.and(Filters.eq("_id", ID), Filters.eq("owner", owner)),
            Updates.combine(Updates.set("heartbeat_at", Date.from(now)), Updates.set("expires_at", Date.from(expiresAt))))
            .getMatchedCount() == 1;
    }

    @Override
    public void release(String owner) {
        collection.deleteOne(Filters.and(Filters.eq("_id", ID), Filters.eq("owner", owner)));
    }

    @Override
    public boolean isHeld(Instant now) {
        return collection.countDocuments(Filters.and(Filters.eq("_id", ID), Filters.gt("expires_at", Date.from(now)))) > 0;
    }

    @Override
    public String describeHolder() {
        Document d = collection.find(Filters.eq("_id", ID)).first();
        if (d == null) {
            return null;
        }
        Date expires = d.getDate("expires_at");
        return d.getString("owner") + " until " + (expires == null ? "?" : expires.toInstant());
    }
}
