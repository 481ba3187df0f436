package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import dev.tidemark.mongo.MongoErrors;
import com.mongodb.MongoNamespace;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.RenameCollectionOptions;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.WriteModel;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.ValidationException;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.json.JsonMode;
import org.bson.json.JsonParseException;
import org.bson.json.JsonWriterSettings;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * MongoDB bulk export and import. Documents travel as canonical Extended JSON v2 (MongoDB's specification
 * "extended-json"): lossless for every BSON type (int64, Decimal128, dates, binary subtypes, ObjectId).
 * <ul>
 *   <li>Export: {@code find(filter AND _id > cursor).sort({_id: 1})} with the projection (which must keep {@code _id}),
 *       in cursor batches of {@code batchSize}.</li>
 *   <li>Import: {@code insertMany} (insert), replace-one with upsert by {@code _id} (upsert), or a temporary collection
 *       carrying the target's indexes, renamed over the target with {@code dropTarget} (replace).</li>
 * </ul>
 */
final class MongoBulk {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    private MongoBulk() {
    }

    private static boolean exists(MongoDatabase db, String name) {
        for (String n : db.listCollectionNames()) {
            if (n.equals(name)) {
                return true;
            }
        }
        return false;
    }

    private static BsonDocument parse(String field, String json) {
        try {
            return BsonDocument.parse(json);
        } catch (JsonParseException | org.bson.BsonInvalidOperationException e) {
            throw new ValidationException(field + ": not Extended JSON");
        }
    }

    /**
     * @param client the client (closed with the source)
     * @param database the database
     * @param r the request
     * @param cursor {@code {"_id": ...}} of the last exported document, or {@code null}
     * @return the source
     */
    static RecordSource export(MongoClient client, String database, ExportRequest r, JsonNode cursor) {
        try {
            MongoDatabase db = client.getDatabase(database);
            String name = r.source().name();
            if (!exists(db, name)) {
                throw new ValidationException("source.collection: no collection '" + name + "' in database " + database);
            }
            BsonDocument filter = r.source().query() == null ? new BsonDocument() : parse("source.filter", r.source().query());
            BsonDocument projection = r.source().projection() == null ? null : parse("source.projection", r.source().projection());
            if (projection != null && projection.containsKey("_id") && projection.get("_id").isNumber()
                && projection.get("_id").asNumber().intValue() == 0) {
                throw new ValidationException("source.projection: _id is always exported (it is the key exports resume by)");
            }
            if (cursor != null) {
                if (!cursor.isObject() || !cursor.has("_id")) {
                    throw new ValidationException("continuation.cursor: expected {\"_id\": ...}");
                }
                BsonValue last = parse("continuation.cursor", cursor.toString()).get("_id");
                BsonDocument after = new BsonDocument("_id", new BsonDocument("$gt", last));
                filter = filter.isEmpty() ? after : new BsonDocument("$and", new BsonArray(List.of(filter, after)));
            }
            MongoCollection<RawBsonDocument> collection = db.getCollection(name, RawBsonDocument.class);
            var find = collection.find(filter).sort(new BsonDocument("_id", new BsonInt32(1))).batchSize(r.throughput().batchSize());
            if (projection != null) {
                find = find.projection(projection);
            }
            return new CursorSource(client, find.iterator());
        } catch (MongoException e) {
            client.close();
            throw MongoErrors.failure(e, "mongodb export of " + r.source().name());
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static final class CursorSource implements RecordSource {
        private final MongoClient client;
        private final MongoCursor<RawBsonDocument> cursor;
        private BsonValue lastId;

        CursorSource(MongoClient client, MongoCursor<RawBsonDocument> cursor) {
            this.client = client;
            this.cursor = cursor;
        }

        @Override
        public byte[] header() {
            return null;
        }

        @Override
        public byte[] next() {
            try {
                if (!cursor.hasNext()) {
                    return null;
                }
                RawBsonDocument doc = cursor.next();
                lastId = doc.get("_id");
                return (doc.toJson(CANONICAL) + "\n").getBytes(StandardCharsets.UTF_8);
            } catch (MongoException e) {
                throw MongoErrors.failure(e, "mongodb export");
            }
        }

        @Override
        public JsonNode cursor() {
            return lastId == null ? null : ExactJson.read(new BsonDocument("_id", lastId).toJson(CANONICAL).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public List<String> key() {
            return List.of("_id");
        }

        @Override
        public void close() {
            try {
                cursor.close();
            } finally {
                client.close();
            }
        }
    }

    /** Imports parts into a collection, {@code batchSize} documents per write. */
    static final class Sink implements RecordSink {
        private final MongoClient client;
        private final MongoDatabase db;
        private final ImportRequest r;
        private final Throttle throttle;

        Sink(MongoClient client, String database, ImportRequest r, Manifest manifest, Throttle throttle) {
            this.client = client;
            this.db = client.getDatabase(database);
            this.r = r;
            this.throttle = throttle;
            if (manifest.format() != BulkFormat.NDJSON) {
                throw new ValidationException("source: the data is " + manifest.format().extension() + "; MongoDB imports ndjson");
            }
        }

        private String stageName() {
            return r.name() + "__tidemark_replace";
        }

        @Override
        public void checkStage(String stage) {
            if (r.mode() != ImportMode.REPLACE || !stageName().equals(stage)) {
                throw new ValidationException("continuation: its stage is not this import's");
            }
        }

        @Override
        public String begin() {
            if (r.mode() != ImportMode.REPLACE) {
                return null;
            }
            try {
                String stage = stageName();
                db.getCollection(stage).drop();
                db.createCollection(stage);
                if (exists(db, r.name())) {
                    List<IndexModel> indexes = new ArrayList<>();
                    for (Document ix : db.getCollection(r.name()).listIndexes()) {
                        if ("_id_".equals(ix.getString("name"))) {
                            continue;
                        }
                        IndexOptions o = new IndexOptions().name(ix.getString("name"));
                        if (Boolean.TRUE.equals(ix.getBoolean("unique"))) {
                            o.unique(true);
                        }
                        if (Boolean.TRUE.equals(ix.getBoolean("sparse"))) {
                            o.sparse(true);
                        }
                        if (ix.get("expireAfterSeconds") instanceof Number n) {
                            o.expireAfter(n.longValue(), TimeUnit.SECONDS);
                        }
                        if (ix.get("partialFilterExpression") instanceof Document p) {
                            o.partialFilterExpression(p);
                        }
                        indexes.add(new IndexModel((Document) ix.get("key"), o));
                    }
                    if (!indexes.isEmpty()) {
                        db.getCollection(stage).createIndexes(indexes);
                    }
                }
                return stage;
            } catch (MongoException e) {
                throw MongoErrors.failure(e, "mongodb import: preparing the stage of " + r.name());
            }
        }

        @Override
        public long load(Manifest.Part part, PartCheck data, String stage) {
            MongoCollection<BsonDocument> into = db.getCollection(r.mode() == ImportMode.REPLACE ? stage : r.name(), BsonDocument.class);
            return data.forEachBatch(r.throughput().batchSize(), (lines, first) -> {
                List<BsonDocument> batch = new ArrayList<>(lines.size());
                for (int i = 0; i < lines.size(); i++) {
                    batch.add(parse("part " + part.file() + " record " + (first + i), lines.get(i)));
                }
                write(into, batch, part);
            });
        }

        private void write(MongoCollection<BsonDocument> into, List<BsonDocument> batch, Manifest.Part part) {
            try {
                // a replace loads its stage by _id too, so a part loaded again after a crash does not fail on duplicates
                if (r.mode() != ImportMode.INSERT) {
                    List<WriteModel<BsonDocument>> models = new ArrayList<>(batch.size());
                    for (BsonDocument d : batch) {
                        if (!d.containsKey("_id")) {
                            throw new ValidationException("part " + part.file() + ": a record has no _id; upsert matches by _id");
                        }
                        // the _id is a value compared with $eq, never read as an operator ({"$gt": ...} matches nothing but itself)
                        models.add(new ReplaceOneModel<>(new BsonDocument("_id", new BsonDocument("$eq", d.get("_id"))), d,
                            new ReplaceOptions().upsert(true)));
                    }
                    into.bulkWrite(models, new BulkWriteOptions().ordered(true));
                } else {
                    into.insertMany(batch, new InsertManyOptions().ordered(true));
                }
            } catch (MongoBulkWriteException e) {
                throw new ValidationException("part " + part.file() + ": " + e.getWriteErrors().size() + " document(s) refused, first: "
                    + e.getWriteErrors().getFirst().getMessage());
            } catch (MongoException e) {
                throw MongoErrors.failure(e, "mongodb import of " + part.file());
            }
            throttle.acquire(batch.size());
        }

        @Override
        public void finish(String stage) {
            if (r.mode() != ImportMode.REPLACE) {
                return;
            }
            try {
                db.getCollection(stage).renameCollection(new MongoNamespace(db.getName(), r.name()), new RenameCollectionOptions().dropTarget(true));
            } catch (MongoException e) {
                throw MongoErrors.failure(e, "mongodb import: renaming the stage over " + r.name());
            }
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
