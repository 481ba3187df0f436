package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import dev.tidemark.error.ValidationException;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.ServersExtension;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.bson.types.Decimal128;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(ServersExtension.class)
class MongoBulkTest {

    private BulkFixture f;
    private MongoClient client;
    private MongoDatabase db;

    @BeforeEach
    void setUp(PostgresServer pg, MongoServer mongo, S3Server s3) {
        f = new BulkFixture(pg, mongo, null, s3);
        client = MongoClients.create(mongo.uri());
        db = client.getDatabase(f.mongoDatabase);
        MongoCollection<BsonDocument> tracks = db.getCollection("tracks", BsonDocument.class);
        tracks.insertOne(new BsonDocument("_id", new BsonObjectId())
            .append("title", new BsonString("héllo wörld ✓ 日本語 🎉"))
            .append("price", new BsonDecimal128(new Decimal128(new BigDecimal("123456789012345678901234.0123456789"))))
            .append("plays", new BsonInt64(9_007_199_254_740_993L))
            .append("rank", new BsonInt32(7))
            .append("ratio", new BsonDouble(0.1))
            .append("released", new BsonDateTime(1_700_000_000_123L))
            .append("cover", new BsonBinary(BsonBinarySubType.BINARY, new byte[] {0, (byte) 0xff, 16}))
            .append("nothing", BsonNull.VALUE)
            .append("tags", new org.bson.BsonArray(List.of(new BsonString("a"), new BsonInt32(2), new BsonDocument("deep", new BsonString("x")))))
            .append("meta", new BsonDocument("nested", new BsonDocument("deeper", new BsonString("line1\nline2\t\"q\"")))));
        tracks.insertOne(new BsonDocument("_id", new BsonString("string-id")).append("title", new BsonString("x".repeat(200_000))));
        List<BsonDocument> many = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            many.add(new BsonDocument("_id", new BsonInt32(i)).append("n", new BsonInt32(i)).append("pad", new BsonString(Integer.toHexString(i * 7919))));
        }
        tracks.insertMany(many);
        tracks.createIndex(Indexes.ascending("n"), new IndexOptions().name("by_n").unique(true).sparse(true));
    }

    @AfterEach
    void tearDown() {
        client.close();
    }

    private List<String> checksums(String collection) throws Exception {
        List<String> out = new ArrayList<>();
        JsonWriterSettings canonical = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
        for (BsonDocument d : db.getCollection(collection, BsonDocument.class).find().sort(new Document("_id", 1))) {
            out.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(d.toJson(canonical).getBytes())));
        }
        return out;
    }

    private ObjectNode export(String folder, String extra) {
        return BulkFixture.event("{\"target\": \"docs\", \"source\": {\"collection\": \"tracks\"" + extra + "}, \"destination\": \"" + folder + "\"}");
    }

    private ObjectNode importInto(String folder, String collection, String mode) {
        return BulkFixture.event("{\"target\": \"docs\", \"source\": \"" + folder + "\", \"destination\": {\"collection\": \"" + collection
            + "\"}, \"mode\": \"" + mode + "\", \"batchSize\": 500}");
    }

    @Test
    void exportThenImportIntoAnEmptyCollectionGivesIdenticalDocumentsInCanonicalExtendedJson() throws Exception {
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, ""), Budget.unlimited());
        JsonNode manifest = f.manifest(folder);
        assertThat(manifest.path("format").asText()).isEqualTo("NDJSON");
        assertThat(manifest.path("totalRows").asLong()).isEqualTo(3002);

        f.importAll(importInto(folder, "copy", "insert"), Budget.unlimited());

        assertThat(checksums("copy")).hasSize(3002).isEqualTo(checksums("tracks"));
        BsonDocument first = db.getCollection("copy", BsonDocument.class).find(new Document("rank", 7)).first();
        assertThat(first.get("price")).isInstanceOf(BsonDecimal128.class);
        assertThat(first.get("plays")).isEqualTo(new BsonInt64(9_007_199_254_740_993L));
        assertThat(first.get("cover")).isInstanceOf(BsonBinary.class);
    }

    @Test
    void aFilterAndProjectionExportOnlyTheChosenDocumentsAndFieldsResumedByIdWithTinyBudgets() throws Exception {
        String whole = BulkFixture.folder();
        String pieces = BulkFixture.folder();
        String filter = ", \"filter\": {\"n\": {\"$gte\": 1000}}, \"projection\": {\"pad\": 1}";
        f.exportAll(export(whole, filter), Budget.unlimited());
        ObjectNode event = export(pieces, filter);
        event.put("batchSize", 100);
        f.exportAll(event, BulkFixture.tiny());
        assertThat(f.manifest(pieces).path("parts")).isEqualTo(f.manifest(whole).path("parts"));
        assertThat(f.manifest(pieces).path("totalRows").asLong()).isEqualTo(2000);

        f.importAll(importInto(pieces, "subset", "insert"), BulkFixture.tiny());
        BsonDocument d = db.getCollection("subset", BsonDocument.class).find(new Document("_id", 1234)).first();
        assertThat(d.keySet()).containsExactly("_id", "pad");
        assertThat(db.getCollection("subset").countDocuments()).isEqualTo(2000);
    }

    @Test
    void upsertReplacesByIdAndInsertsTheRest() throws Exception {
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, ""), Budget.unlimited());
        db.getCollection("copy").insertOne(new Document("_id", 5).append("n", "stale"));

        f.importAll(importInto(folder, "copy", "upsert"), Budget.unlimited());

        assertThat(checksums("copy")).isEqualTo(checksums("tracks"));
    }

    @Test
    void replaceLoadsATemporaryCollectionWithTheTargetsIndexesAndRenamesItOverTheTarget() throws Exception {
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, ""), Budget.unlimited());
        MongoCollection<Document> copy = db.getCollection("copy");
        copy.insertOne(new Document("_id", "old").append("n", -1));
        copy.createIndex(Indexes.ascending("pad"), new IndexOptions().name("by_pad"));

        f.importAll(importInto(folder, "copy", "replace"), Budget.unlimited());

        assertThat(checksums("copy")).isEqualTo(checksums("tracks"));
        List<String> indexes = new ArrayList<>();
        copy.listIndexes().forEach(ix -> indexes.add(ix.getString("name")));
        assertThat(indexes).contains("by_pad");
        assertThat(db.listCollectionNames().into(new ArrayList<>())).doesNotContain("copy__tidemark_replace");
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        String folder = BulkFixture.folder();
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"docs\", \"source\": {\"collection\": \"nope\"}, \"destination\": \""
            + folder + "\"}"), Budget.unlimited())).isInstanceOf(ValidationException.class).hasMessageContaining("source.collection: no collection 'nope'");
        assertThatThrownBy(() -> f.exportAll(export(folder, ", \"projection\": {\"_id\": 0}"), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageContaining("source.projection: _id is always exported");
        assertThatThrownBy(() -> f.exportAll(export(folder, ", \"filter\": \"n > 1\""), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageContaining("source.filter: expected a JSON object");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"docs\", \"source\": {\"collection\": \"tracks\"}, \"destination\": \""
            + folder + "\", \"format\": \"csv\"}"), Budget.unlimited())).hasMessageContaining("format: csv is for PostgreSQL sources");
        assertThat(f.s3.listObjectsV2(b -> b.bucket(BulkFixture.BUCKET).prefix(folder.substring(19))).contents()).isEmpty();
    }
}
