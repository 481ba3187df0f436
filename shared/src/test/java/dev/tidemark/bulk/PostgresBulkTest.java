package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.error.ManifestMismatchException;
import dev.tidemark.error.TransferFailedException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.ServersExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(ServersExtension.class)
class PostgresBulkTest {

    private static final String TYPES = "id bigint PRIMARY KEY, name text, amount numeric(38,10), at timestamptz, data bytea, "
        + "tags text[], doc jsonb, big text";

    private BulkFixture f;
    private PostgresServer pg;

    @BeforeEach
    void setUp(PostgresServer pg, MongoServer mongo, S3Server s3) throws SQLException {
        this.pg = pg;
        f = new BulkFixture(pg, mongo, null, s3);
        sql("CREATE TABLE items (" + TYPES + ")");
        sql("INSERT INTO items VALUES "
            + "(1, 'héllo wörld ✓ 日本語 🎉', 1234567890123456789012345678.0123456789, '2026-11-23 10:00:00.123456+05:30', '\\x00ff10', "
            + "'{a,\"b,c\",NULL}', '{\"n\": {\"deep\": [1, 2.50, null]}}', repeat('x', 100000)),"
            + "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
            + "(3, '', -0.0000000001, '1970-01-01 00:00:00+00', '\\x', '{}', '[]', 'line1\nline2,\"quoted\"\r\n'),"
            + "(4, 'back\\slash ''single'' \"double\"', 99999999999999999999999999.9999999999, 'infinity', '\\xdeadbeef', '{\"\"}', '\"just a string\"', ' ')");
        sql("INSERT INTO items SELECT i, 'row ' || i, i / 7.0, now(), NULL, ARRAY['t' || i], jsonb_build_object('i', i), md5(i::text) "
            + "FROM generate_series(10, 2000) i");
        sql("CREATE TABLE items_copy (LIKE items INCLUDING ALL)");
    }

    private Connection connect() throws SQLException {
        return f.connect("postgres");
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /** Adds 57001 rows of incompressible text: about 5 parts of 1 MB. */
    private void addManyRows() throws SQLException {
        sql("INSERT INTO items SELECT i, md5(i::text) || md5((i * 3)::text), i, now(), NULL, NULL, NULL, md5((i * 7)::text) || md5((i * 11)::text) "
            + "FROM generate_series(3000, 60000) i");
    }

    private List<String> checksums(String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id || ':' || md5(t::text) FROM " + table + " t ORDER BY id")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private ObjectNode export(String folder, String format, String extra) {
        return BulkFixture.event("{\"target\": \"pg\", \"source\": {\"table\": \"items\"}, \"destination\": \"" + folder + "\", \"format\": \""
            + format + "\"" + extra + "}");
    }

    private ObjectNode importInto(String folder, String table, String mode) {
        return BulkFixture.event("{\"target\": \"pg\", \"source\": \"" + folder + "\", \"destination\": {\"table\": \"" + table
            + "\"}, \"mode\": \"" + mode + "\"}");
    }

    @ParameterizedTest
    @CsvSource({"csv,gzip", "ndjson,gzip", "csv,none", "ndjson,none"})
    void exportThenImportIntoAnEmptyTableGivesIdenticalRows(String format, String compression) throws SQLException {
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, format, ", \"compression\": \"" + compression + "\""), Budget.unlimited());
        JsonNode manifest = f.manifest(folder);
        assertThat(manifest.path("totalRows").asLong()).isEqualTo(1995);
        assertThat(manifest.path("source").path("key").toString()).isEqualTo("[\"id\"]");
        assertThat(manifest.path("parts").get(0).path("sha256").asText()).hasSize(64);

        f.importAll(importInto(folder, "items_copy", "insert"), Budget.unlimited());

        assertThat(checksums("items_copy")).hasSize(1995).isEqualTo(checksums("items"));
    }

    @Test
    void theFastestGzipLevelWritesLargerPartsThatImportTheSameRows() throws SQLException {
        addManyRows();
        String fast = BulkFixture.folder();
        String small = BulkFixture.folder();
        f.exportAll(export(fast, "csv", ", \"compressionLevel\": 1"), Budget.unlimited());
        f.exportAll(export(small, "csv", ", \"compressionLevel\": 9"), Budget.unlimited());
        assertThat(f.manifest(fast).path("totalBytes").asLong()).isGreaterThan(f.manifest(small).path("totalBytes").asLong());

        f.importAll(importInto(fast, "items_copy", "insert"), Budget.unlimited());
        assertThat(checksums("items_copy")).isEqualTo(checksums("items"));
    }

    @ParameterizedTest
    @CsvSource({"csv", "ndjson"})
    void aResumedExportWritesExactlyThePartsOfAnUninterruptedOne(String format) throws SQLException {
        addManyRows();
        String whole = BulkFixture.folder();
        String pieces = BulkFixture.folder();
        assertThat(f.exportAll(export(whole, format, ", \"partSizeMb\": 1"), Budget.unlimited())).isEqualTo(1);
        int calls = f.exportAll(export(pieces, format, ", \"partSizeMb\": 1"), BulkFixture.tiny());

        JsonNode a = f.manifest(whole).path("parts");
        JsonNode b = f.manifest(pieces).path("parts");
        assertThat(a.size()).isGreaterThan(2);
        assertThat(calls).isEqualTo(a.size());
        assertThat(b).isEqualTo(a);

        assertThat(f.importAll(importInto(pieces, "items_copy", "insert"), BulkFixture.tiny())).isEqualTo(2 * a.size());
        assertThat(checksums("items_copy")).isEqualTo(checksums("items"));
    }

    @Test
    void aRetriedInvocationWithAnOlderTokenWritesTheSameExportAndLoadsNoRowTwice() throws SQLException {
        addManyRows();
        String whole = BulkFixture.folder();
        String retried = BulkFixture.folder();
        f.exportAll(export(whole, "csv", ", \"partSizeMb\": 1"), Budget.unlimited());
        ObjectNode event = export(retried, "csv", ", \"partSizeMb\": 1");
        BulkService.BulkOutcome first = f.service.export(f.service.exportRequest(event), BulkFixture.tiny());
        event.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(first.token()));
        f.service.export(f.service.exportRequest(event), BulkFixture.tiny());
        f.service.export(f.service.exportRequest(event), BulkFixture.tiny()); // the same token again, as a retry sends it
        f.exportAll(event, BulkFixture.tiny());
        assertThat(f.manifest(retried).path("parts")).isEqualTo(f.manifest(whole).path("parts"));

        ObjectNode load = importInto(retried, "items_copy", "replace");
        BulkService.BulkOutcome verified = f.service.importData(f.service.importRequest(load), BulkFixture.tiny());
        while (!verified.continuation().phase().equals("load")) {
            load.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(verified.token()));
            verified = f.service.importData(f.service.importRequest(load), BulkFixture.tiny());
        }
        load.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(verified.token()));
        BulkService.BulkOutcome one = f.service.importData(f.service.importRequest(load), BulkFixture.tiny());
        load.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(one.token()));
        BulkService.BulkOutcome two = f.service.importData(f.service.importRequest(load), BulkFixture.tiny());
        assertThat(two.continuation().part()).isEqualTo(3);
        f.importAll(load, Budget.unlimited()); // part 2 again, then the rest
        assertThat(checksums("items_copy")).isEqualTo(checksums("items"));
    }

    @Test
    void anExportOfATableFourTimesTheHeapSucceedsInA64MegabyteHeap(S3Server s3) throws Exception {
        sql("CREATE TABLE wide (id bigint PRIMARY KEY, a text, b text)");
        sql("INSERT INTO wide SELECT i, repeat(md5(i::text), 4), repeat(md5((i * 7)::text), 4) FROM generate_series(1, 900000) i");
        long tableBytes;
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_table_size('wide')")) {
            rs.next();
            tableBytes = rs.getLong(1);
        }
        assertThat(tableBytes).isGreaterThan(4L * 64 * 1024 * 1024);
        String folder = BulkFixture.folder();
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
            "-cp", System.getProperty("java.class.path"), SmallHeapExport.class.getName(), String.valueOf(pg.port()), f.pgDatabase, s3.endpoint(),
            BulkFixture.BUCKET, folder, "wide", "csv").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("rows=900000").contains("done=true");
        assertThat(f.manifest(folder).path("totalRows").asLong()).isEqualTo(900000);
    }

    @Test
    void upsertUpdatesExistingKeysAndInsertsTheRest() throws SQLException {
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, "csv", ""), Budget.unlimited());
        sql("INSERT INTO items_copy (id, name) VALUES (1, 'stale'), (5000, 'kept')");

        f.importAll(importInto(folder, "items_copy", "upsert"), Budget.unlimited());

        sql("DELETE FROM items_copy WHERE id = 5000");
        assertThat(checksums("items_copy")).isEqualTo(checksums("items"));
    }

    @Test
    void replaceSwapsInTheDataInOneTransactionAndReadersSeeTheOldRowsUntilThen() throws SQLException {
        addManyRows();
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, "ndjson", ", \"partSizeMb\": 1"), Budget.unlimited());
        sql("INSERT INTO items_copy (id, name) VALUES (1, 'old'), (77777, 'old')");
        ObjectNode event = importInto(folder, "items_copy", "replace");
        // verify, then load, stopping before the swap
        BulkService.BulkOutcome o = f.service.importData(f.service.importRequest(event), BulkFixture.tiny());
        while (!o.done() && !(o.continuation().phase().equals("load") && o.continuation().part() > 1)) {
            event.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(o.token()));
            o = f.service.importData(f.service.importRequest(event), BulkFixture.tiny());
        }
        assertThat(o.done()).isFalse();
        assertThat(checksums("items_copy")).hasSize(2);

        event.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(o.token()));
        f.importAll(event, Budget.unlimited());

        assertThat(checksums("items_copy")).isEqualTo(checksums("items"));
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT to_regclass('items_copy__tidemark_replace') IS NULL")) {
            rs.next();
            assertThat(rs.getBoolean(1)).as("stage dropped").isTrue();
        }
    }

    @Test
    void aQueryWithAKeyIsExportedAndResumedInKeyOrder() throws SQLException {
        String folder = BulkFixture.folder();
        ObjectNode event = BulkFixture.event("{\"target\": \"pg\", \"source\": {\"query\": \"-- the even ones\\nSELECT id, name FROM items WHERE id % 2 = 0;\", "
            + "\"key\": [\"id\"]}, \"destination\": \"" + folder + "\", \"format\": \"ndjson\"}");
        f.exportAll(event, Budget.unlimited());
        assertThat(f.manifest(folder).path("totalRows").asLong()).isEqualTo(998);
        sql("CREATE TABLE evens (id bigint PRIMARY KEY, name text)");
        f.importAll(importInto(folder, "evens", "insert"), Budget.unlimited());
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*), sum(id) FROM evens")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(998);
        }
    }

    @Test
    void badInputIsRefusedNamingTheFieldAndChangesNothing() throws SQLException {
        String folder = BulkFixture.folder();
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"table\": \"nope\"}, \"destination\": \""
            + folder + "\"}"), Budget.unlimited())).isInstanceOf(ValidationException.class).hasMessageContaining("source.table: no table 'nope'");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"query\": \"DELETE FROM items\"}, \"destination\": \""
            + folder + "\"}"), Budget.unlimited())).isInstanceOf(ValidationException.class).hasMessageContaining("source.query: expected one SELECT");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"query\": \"SELECT 1; DROP TABLE items\"}, "
            + "\"destination\": \"" + folder + "\"}"), Budget.unlimited())).hasMessageContaining("2 statements");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"query\": \"WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d\"}, "
            + "\"destination\": \"" + folder + "\"}"), Budget.unlimited())).isInstanceOf(ValidationException.class).hasMessageContaining("source.query");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"table\": \"items\"}, \"destination\": "
            + "\"s3://other-bucket/x/\"}"), Budget.unlimited())).isInstanceOf(ValidationException.class)
            .hasMessageContaining("destination: bucket 'other-bucket' is not the configured bulk bucket 'tidemark-bulk'");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"table\": \"items\"}, \"destination\": \""
            + folder + "\", \"format\": \"xml\"}"), Budget.unlimited())).hasMessageContaining("format: 'xml' is not a format");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"table\": \"items\"}, \"destination\": \""
            + folder + "\", \"partSizeMb\": 0}"), Budget.unlimited())).hasMessageContaining("partSizeMb: expected a whole number from 1");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"table\": \"items\"}, \"destination\": \""
            + folder + "\", \"compressionLevel\": 10}"), Budget.unlimited())).hasMessageContaining("compressionLevel: expected a whole number from 1 to 9");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"table\": \"items\"}, \"destination\": \""
            + folder + "\", \"compression\": \"none\", \"compressionLevel\": 1}"), Budget.unlimited()))
            .hasMessageContaining("compressionLevel: applies to gzip only");
        assertThatThrownBy(() -> f.importAll(importInto(folder, "items_copy", "insert"), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageContaining("source: no manifest.json in " + folder);
        assertThat(checksums("items")).hasSize(1995);
        assertThat(f.s3.listObjectsV2(b -> b.bucket(BulkFixture.BUCKET).prefix(folder.substring(19))).contents()).isEmpty();

        f.exportAll(export(folder, "csv", ""), Budget.unlimited());
        assertThatThrownBy(() -> f.exportAll(export(folder, "csv", ""), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageContaining("already holds an export");
        assertThatThrownBy(() -> f.importAll(importInto(folder, "nope", "insert"), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageContaining("destination.table: no table 'nope'");
        assertThatThrownBy(() -> f.importAll(importInto(folder, "items_copy", "merge"), Budget.unlimited()))
            .hasMessageContaining("mode: 'merge' is not an import mode");
        assertThat(checksums("items_copy")).isEmpty();
    }

    @Test
    void aManifestThatLiesIsFoundBeforeAnythingIsLoaded() throws SQLException {
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, "csv", ", \"compression\": \"none\""), Budget.unlimited());
        ObjectNode manifest = (ObjectNode) f.manifest(folder);
        ObjectNode part = (ObjectNode) manifest.path("parts").get(0);
        part.put("rows", part.path("rows").asLong() + 1);
        manifest.put("totalRows", manifest.path("totalRows").asLong() + 1);
        f.putManifest(folder, manifest);
        assertThatThrownBy(() -> f.importAll(importInto(folder, "items_copy", "insert"), Budget.unlimited()))
            .isInstanceOf(ManifestMismatchException.class).hasMessageContaining("1995 records, the manifest says 1996");

        part.put("rows", part.path("rows").asLong() - 1);
        manifest.put("totalRows", manifest.path("totalRows").asLong() - 1);
        part.put("sha256", "0".repeat(64));
        f.putManifest(folder, manifest);
        assertThatThrownBy(() -> f.importAll(importInto(folder, "items_copy", "replace"), Budget.unlimited()))
            .isInstanceOf(ManifestMismatchException.class).hasMessageContaining("SHA-256");
        assertThat(checksums("items_copy")).isEmpty();
    }

    @Test
    void aLieAboutALaterPartRollsBackTheFirstPartLoadedWhileItWasChecked() throws SQLException {
        addManyRows();
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, "csv", ", \"partSizeMb\": 1"), Budget.unlimited());
        ObjectNode manifest = (ObjectNode) f.manifest(folder);
        assertThat(manifest.path("parts").size()).isGreaterThan(2);
        ObjectNode last = (ObjectNode) manifest.path("parts").get(manifest.path("parts").size() - 1);
        last.put("rows", last.path("rows").asLong() - 1);
        manifest.put("totalRows", manifest.path("totalRows").asLong() - 1);
        f.putManifest(folder, manifest);
        assertThatThrownBy(() -> f.importAll(importInto(folder, "items_copy", "upsert"), Budget.unlimited()))
            .isInstanceOf(ManifestMismatchException.class).hasMessageContaining(last.path("file").asText());
        assertThat(checksums("items_copy")).isEmpty();
    }

    @Test
    void aFirstPartThatFailsWhileTheOthersAreCheckedIsResumedFromTheCheck() throws SQLException {
        addManyRows();
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, "csv", ", \"partSizeMb\": 1"), Budget.unlimited());
        sql("INSERT INTO items_copy (id, name) VALUES (1, 'x')");
        assertThatThrownBy(() -> f.importAll(importInto(folder, "items_copy", "insert"), Budget.unlimited()))
            .isInstanceOf(TransferFailedException.class).hasMessageContaining("duplicate key")
            .satisfies(e -> assertThat(ContinuationCodec.describe(((TransferFailedException) e).continuation())).isEqualTo("phase verify, part 1"));
        assertThat(checksums("items_copy")).hasSize(1);
    }

    @Test
    void anExportThatFailsMidwayLeavesNoPartialPartAndNoOpenMultipartUpload() throws SQLException {
        String folder = BulkFixture.folder();
        sql("CREATE TABLE big (id int PRIMARY KEY, pad text)");
        sql("INSERT INTO big SELECT i, md5(i::text) || md5((i * 3)::text) FROM generate_series(1, 200000) i");
        ObjectNode event = BulkFixture.event("{\"target\": \"pg\", \"source\": {\"query\": \"SELECT id, pad, 1 / (id - 150000) AS boom FROM big\", "
            + "\"key\": [\"id\"]}, \"destination\": \"" + folder + "\", \"partSizeMb\": 1}");
        assertThatThrownBy(() -> f.exportAll(event, Budget.unlimited())).isInstanceOf(TransferFailedException.class)
            .hasMessageContaining("division by zero").hasMessageContaining("resume with continuation");
        List<String> keys = f.s3.listObjectsV2(b -> b.bucket(BulkFixture.BUCKET).prefix(folder.substring(19))).contents().stream()
            .map(o -> o.key().substring(folder.length() - 19)).toList();
        assertThat(keys).contains("manifest.partial.json").doesNotContain("manifest.json");
        JsonNode partial;
        try {
            partial = dev.tidemark.json.Json.MAPPER.readTree(f.s3.getObjectAsBytes(b -> b.bucket(BulkFixture.BUCKET)
                .key(folder.substring(19) + "manifest.partial.json")).asByteArray());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(keys).hasSize(partial.path("parts").size() + 1);
        assertThat(f.s3.listMultipartUploads(b -> b.bucket(BulkFixture.BUCKET).prefix(folder.substring(19))).uploads()).isEmpty();
    }
}
