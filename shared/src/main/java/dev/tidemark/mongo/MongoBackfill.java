package dev.tidemark.mongo;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.BackfillProgress;
import dev.tidemark.migration.Backfills;
import dev.tidemark.migration.MigrationScript;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonValue;
import org.bson.conversions.Bson;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A MongoDB backfill migration: an update run over a collection in {@code _id} order, batch by batch, across as many
 * invocations as it takes (the MongoDB side of {@link dev.tidemark.postgres.PostgresBackfill}). Declared as the only
 * command of a versioned migration:
 * <pre>{@code
 * [ { "tidemark:backfill": { "collection": "user_profiles", "filter": { "email_lower": { "$exists": false } },
 *     "update": [ { "$set": { "email_lower": { "$toLower": "$email" } } } ], "batchSize": 1000, "maxDocsPerSecond": 0 } } ]
 * }</pre>
 * {@code update} is an update document or an update pipeline, as {@code updateMany} takes it. The backfill covers the
 * {@code _id}s up to the highest one when it starts. Each batch reads the next {@code batchSize} {@code _id}s above the
 * last committed one and runs {@code updateMany({$and: [{_id: {$in: ids}}, filter]}, update)}; the progress (last
 * {@code _id}, counts) is then written to {@code tidemark_backfill} by a compare-and-set on the last {@code _id}, so two
 * runs never both advance it. A crash between the update and the progress write repeats that batch, which the filter
 * makes harmless (documents already updated no longer match it); the counts may then include it twice.
 */
public final class MongoBackfill implements Backfills {

    /** The declaration's key. */
    public static final String MARKER = "tidemark:backfill";
    private static final Set<String> FIELDS = Set.of("collection", "filter", "update", "batchSize", "maxDocsPerSecond");
    /** The progress collection. */
    static final String PROGRESS = "tidemark_backfill";

    /**
     * A parsed declaration.
     *
     * @param collection the collection
     * @param filter which documents still need the update ({@code {}} when absent)
     * @param update an update document or pipeline
     * @param batchSize documents per batch, 1 to 100,000 (default 1,000)
     * @param maxDocsPerSecond cap on documents visited per second, 0 (default) for none
     */
    public record Spec(String collection, BsonDocument filter, BsonValue update, int batchSize, long maxDocsPerSecond) {
    }

    private final String target;
    private final MongoDatabase database;

    /**
     * @param target the target name, for errors
     * @param database the target database
     */
    public MongoBackfill(String target, MongoDatabase database) {
        this.target = target;
        this.database = database;
    }

    /**
     * @param script a versioned migration
     * @return its backfill declaration when the file is one
     * @throws ValidationException naming the file and field when the declaration is malformed or not alone in the file
     */
    public static Optional<Spec> declared(MigrationScript script) {
        if (!script.content().contains(MARKER)) {
            return Optional.empty();
        }
        String where = "migration " + script.script() + ": backfill";
        BsonArray array;
        try {
            array = BsonArray.parse(script.content());
        } catch (RuntimeException e) {
            throw new ValidationException("migration " + script.script() + ": not a JSON array of commands");
        }
        BsonDocument declaration = null;
        for (BsonValue v : array) {
            if (v.isString()) {
                continue; // approval and phase markers
            }
            if (declaration != null || !v.isDocument() || !v.asDocument().containsKey(MARKER) || v.asDocument().size() != 1) {
                throw new ValidationException(where + ": the file must hold only {\"" + MARKER + "\": {...}} (and markers); put other commands"
                    + " in a migration of their own");
            }
            declaration = v.asDocument();
        }
        if (declaration == null || !declaration.get(MARKER).isDocument()) {
            throw new ValidationException(where + ": expected {\"" + MARKER + "\": {\"collection\": ..., \"update\": ...}}");
        }
        BsonDocument d = declaration.getDocument(MARKER);
        for (String f : d.keySet()) {
            if (!FIELDS.contains(f)) {
                throw new ValidationException(where + "." + f + ": unknown field; expected " + String.join(", ", new java.util.TreeSet<>(FIELDS)));
            }
        }
        if (!d.isString("collection") || d.getString("collection").getValue().isBlank() || d.getString("collection").getValue().startsWith("system.")
            || d.getString("collection").getValue().contains("$")) {
            throw new ValidationException(where + ".collection: expected a collection name");
        }
        BsonDocument filter = d.containsKey("filter") ? requireDocument(d.get("filter"), where + ".filter") : new BsonDocument();
        BsonValue update = d.get("update");
        if (update == null || !(update.isDocument() && !update.asDocument().isEmpty() && update.asDocument().getFirstKey().startsWith("$")
            || update.isArray() && !update.asArray().isEmpty())) {
            throw new ValidationException(where + ".update: expected an update document of operators ({\"$set\": ...}) or a pipeline ([...])");
        }
        return Optional.of(new Spec(d.getString("collection").getValue(), filter, update, (int) number(d, "batchSize", where, 1000, 1, 100_000),
            number(d, "maxDocsPerSecond", where, 0, 0, 10_000_000)));
    }

    private static BsonDocument requireDocument(BsonValue v, String field) {
        if (!v.isDocument()) {
            throw new ValidationException(field + ": expected a query document");
        }
        return v.asDocument();
    }

    private static long number(BsonDocument d, String field, String where, long dflt, long min, long max) {
        BsonValue v = d.get(field);
        if (v == null) {
            return dflt;
        }
        if (!(v.isInt32() || v.isInt64()) || v.asNumber().longValue() < min || v.asNumber().longValue() > max) {
            throw new ValidationException(where + "." + field + ": expected a whole number from " + min + " to " + max);
        }
        return v.asNumber().longValue();
    }

    @Override
    public boolean declares(MigrationScript script) {
        return declared(script).isPresent();
    }

    @Override
    public BackfillProgress run(MigrationScript script, BooleanSupplier outOfTime) {
        Spec spec = declared(script).orElseThrow();
        long t0 = System.nanoTime();
        long doneThisCall = 0;
        dev.tidemark.bulk.Throttle throttle = new dev.tidemark.bulk.Throttle(spec.maxDocsPerSecond());
        MongoCollection<BsonDocument> progress = database.getCollection(PROGRESS, BsonDocument.class);
        MongoCollection<BsonDocument> docs = database.getCollection(spec.collection(), BsonDocument.class);
        String version = script.version().toString();
        try {
            BsonDocument state = start(progress, docs, version, script.checksum());
            while (true) {
                if (state.getBoolean("finished").getValue()) {
                    return progress(script, state, t0, doneThisCall);
                }
                BsonValue last = state.get("lastId");
                BsonValue end = state.get("endId");
                Bson range = last == null || last.isNull() ? Filters.lte("_id", end) : Filters.and(Filters.gt("_id", last), Filters.lte("_id", end));
                List<BsonValue> ids = new ArrayList<>();
                for (BsonDocument d : docs.find(range).sort(Sorts.ascending("_id")).projection(Projections.include("_id")).limit(spec.batchSize())) {
                    ids.add(d.get("_id"));
                }
                long updated = 0;
                if (!ids.isEmpty()) {
                    Bson match = Filters.and(Filters.in("_id", ids), spec.filter());
                    updated = spec.update().isArray()
                        ? docs.updateMany(match, spec.update().asArray().stream().map(BsonValue::asDocument).toList(), new UpdateOptions()).getModifiedCount()
                        : docs.updateMany(match, spec.update().asDocument()).getModifiedCount();
                }
                boolean finished = ids.size() < spec.batchSize();
                BsonDocument next = state.clone();
                if (!ids.isEmpty()) {
                    next.put("lastId", ids.getLast());
                    next.put("batches", new BsonInt64(state.getInt64("batches").getValue() + 1));
                }
                next.put("done", new BsonInt64(state.getInt64("done").getValue() + updated));
                next.put("finished", org.bson.BsonBoolean.valueOf(finished));
                BsonDocument expected = new BsonDocument("_id", state.get("_id")).append("lastId", last == null ? org.bson.BsonNull.VALUE : last);
                if (progress.replaceOne(expected, next).getMatchedCount() != 1) {
                    throw new dev.tidemark.error.LockContentionException("mongodb target '" + target + "': backfill " + script.script()
                        + ": another run advanced it meanwhile; this call's last batch is repeated harmlessly by the filter");
                }
                state = next;
                doneThisCall += updated;
                throttle.acquire(ids.size());
                if (finished || outOfTime.getAsBoolean()) {
                    return progress(script, state, t0, doneThisCall);
                }
            }
        } catch (MongoException e) {
            if (MongoErrors.transientError(e)) {
                throw new dev.tidemark.error.ConnectionException("mongodb target '" + target + "': backfill " + script.script() + ": "
                    + MongoErrors.describe(e) + "; the batch is repeated", e);
            }
            throw new dev.tidemark.error.MigrationFailedException("mongodb", target, version, script.script(), MongoErrors.describe(e)
                + "; batches before it stay applied", e);
        }
    }

    private static BackfillProgress progress(MigrationScript script, BsonDocument state, long t0, long doneThisCall) {
        double seconds = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
        return new BackfillProgress(script.version(), script.script(), state.getInt64("done").getValue(), state.getInt64("estimated").getValue(),
            state.getInt64("batches").getValue(), Math.round(doneThisCall / seconds * 10) / 10.0, state.getBoolean("finished").getValue(), "batches");
    }

    /**
     * The progress document of a version: the existing one unless it is finished (left by a call that ended before the
     * version was recorded, or of a version since undone) or of another checksum; else a new one whose end is the highest
     * {@code _id} now.
     */
    private static BsonDocument start(MongoCollection<BsonDocument> progress, MongoCollection<BsonDocument> docs, String version, int checksum) {
        BsonDocument existing = progress.find(Filters.eq("_id", version)).first();
        if (existing != null && !existing.getBoolean("finished").getValue() && existing.getInt32("checksum").getValue() == checksum) {
            return existing;
        }
        BsonDocument top = docs.find().sort(Sorts.descending("_id")).projection(Projections.include("_id")).limit(1).first();
        BsonDocument fresh = new BsonDocument("_id", new org.bson.BsonString(version)).append("checksum", new BsonInt32(checksum))
            .append("endId", top == null ? org.bson.BsonNull.VALUE : top.get("_id")).append("lastId", org.bson.BsonNull.VALUE)
            .append("done", new BsonInt64(0)).append("batches", new BsonInt64(0)).append("estimated", new BsonInt64(docs.estimatedDocumentCount()))
            .append("finished", org.bson.BsonBoolean.valueOf(top == null)).append("startedAt", new org.bson.BsonDateTime(System.currentTimeMillis()));
        if (existing == null) {
            progress.insertOne(fresh);
        } else {
            progress.replaceOne(Filters.eq("_id", version), fresh);
        }
        return fresh;
    }

    @Override
    public boolean finished(MigrationScript script) {
        try {
            BsonDocument d = database.getCollection(PROGRESS, BsonDocument.class).find(Filters.eq("_id", script.version().toString())).first();
            return d != null && d.getBoolean("finished", org.bson.BsonBoolean.FALSE).getValue() && d.getInt32("checksum").getValue() == script.checksum();
        } catch (MongoException e) {
            throw new dev.tidemark.error.ConnectionException("mongodb target '" + target + "': backfill progress: " + MongoErrors.describe(e), e);
        }
    }

    @Override
    public void forget(MigrationScript script) {
        try {
            database.getCollection(PROGRESS).deleteOne(Filters.eq("_id", script.version().toString()));
        } catch (MongoException e) {
            throw new dev.tidemark.error.ConnectionException("mongodb target '" + target + "': backfill progress: " + MongoErrors.describe(e), e);
        }
    }
}
