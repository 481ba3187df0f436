package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tidemark.error.ValidationException;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.ServersExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Continuations are signed and bound to their request: a token that was changed, forged, signed with another key, sent
 * with another request, or left from an earlier export to the same folder is refused naming {@code continuation}, and the
 * destination and the bucket are as they were.
 */
@ExtendWith(ServersExtension.class)
class ContinuationSecurityTest {

    private BulkFixture f;

    @BeforeEach
    void setUp(PostgresServer pg, MongoServer mongo, S3Server s3) throws SQLException {
        f = new BulkFixture(pg, mongo, null, s3);
        sql("CREATE TABLE items (id bigint PRIMARY KEY, pad text)");
        sql("INSERT INTO items SELECT i, md5(i::text) || md5((i * 3)::text) || md5((i * 7)::text) FROM generate_series(1, 40000) i");
        sql("CREATE TABLE items_copy (LIKE items INCLUDING ALL)");
        sql("CREATE TABLE secrets (id bigint PRIMARY KEY, pad text)");
        sql("INSERT INTO secrets VALUES (1, 'not for export')");
    }

    private void sql(String statement) throws SQLException {
        f.sql(statement);
    }

    private long rows(String table) throws SQLException {
        try (Connection c = f.connect("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<String> bucket() {
        List<String> keys = new ArrayList<>();
        f.s3.listObjectsV2Paginator(b -> b.bucket(BulkFixture.BUCKET)).contents().forEach(o -> keys.add(o.key() + ":" + o.eTag()));
        keys.sort(null);
        return keys;
    }

    private static ObjectNode export(String folder, String table) {
        return BulkFixture.event("{\"target\": \"pg\", \"source\": {\"table\": \"" + table + "\"}, \"destination\": \"" + folder
            + "\", \"partSizeMb\": 1}");
    }

    /** @return an export stopped after its first part, with the event to continue it */
    private ObjectNode started(String folder) {
        ObjectNode event = export(folder, "items");
        BulkService.BulkOutcome first = f.service.export(f.service.exportRequest(event), BulkFixture.tiny());
        assertThat(first.done()).isFalse();
        event.set("continuation", TextNode.valueOf(first.token()));
        return event;
    }

    private void refused(ObjectNode event, boolean isImport, String message) throws SQLException {
        List<String> before = bucket();
        long copied = rows("items_copy");
        assertThatThrownBy(() -> {
            if (isImport) {
                f.service.importData(f.service.importRequest(event), BulkFixture.tiny());
            } else {
                f.service.export(f.service.exportRequest(event), BulkFixture.tiny());
            }
        }).isInstanceOf(ValidationException.class).hasMessageStartingWith("continuation: ").hasMessageContaining(message);
        assertThat(bucket()).isEqualTo(before);
        assertThat(rows("items_copy")).isEqualTo(copied);
    }

    @Test
    void aTokenWithOneByteChangedIsRefused() throws SQLException {
        ObjectNode event = started(BulkFixture.folder());
        String token = event.get("continuation").asText();
        byte[] payload = Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.')));
        String forgedPayload = new String(payload, StandardCharsets.UTF_8).replace("\"part\":2", "\"part\":1");
        event.put("continuation", Base64.getUrlEncoder().withoutPadding().encodeToString(forgedPayload.getBytes(StandardCharsets.UTF_8))
            + token.substring(token.indexOf('.')));
        refused(event, false, "does not verify");
        char last = token.charAt(token.length() - 2);
        event.put("continuation", token.substring(0, token.length() - 2) + (last == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1));
        refused(event, false, "does not verify");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"phase\": \"export\", \"part\": 2, \"cursor\": [\"0\"]}", "\"export\"", "42", "[]", "\"a.b\"",
        "\"eyJ2IjoxfQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\""})
    void aContinuationThatIsNotASignedTokenIsRefused(String continuation) throws SQLException {
        ObjectNode event = started(BulkFixture.folder());
        event.set("continuation", BulkFixture.event("{\"c\": " + continuation + "}").get("c"));
        refused(event, false, "");
    }

    @Test
    void aTokenSignedWithAnotherKeyIsRefused() throws SQLException {
        ObjectNode event = started(BulkFixture.folder());
        ContinuationCodec other = new ContinuationCodec(() -> "another-key-of-at-least-thirty-two-bytes".getBytes(StandardCharsets.UTF_8));
        ExportRequest r = f.service.exportRequest(event);
        event.put("continuation", other.seal(r.continuation(), r.binding()));
        refused(event, false, "does not verify");
    }

    @Test
    void aTokenCannotSwitchTheExportToAnotherTableOrDestination() throws SQLException {
        String folder = BulkFixture.folder();
        ObjectNode event = started(folder);
        ObjectNode other = export(folder, "secrets");
        other.set("continuation", event.get("continuation"));
        refused(other, false, "belongs to another request");
        ObjectNode elsewhere = export(BulkFixture.folder(), "items");
        elsewhere.set("continuation", event.get("continuation"));
        refused(elsewhere, false, "belongs to another request");
        ObjectNode reformatted = event.deepCopy().put("format", "ndjson");
        refused(reformatted, false, "belongs to another request");
    }

    @Test
    void aTokenOfAnEarlierExportToTheSameFolderIsRefused() throws SQLException {
        String folder = BulkFixture.folder();
        ObjectNode event = started(folder);
        String old = event.get("continuation").asText();
        String prefix = folder.substring(("s3://" + BulkFixture.BUCKET + "/").length());
        f.s3.listObjectsV2Paginator(b -> b.bucket(BulkFixture.BUCKET).prefix(prefix)).contents()
            .forEach(o -> f.s3.deleteObject(b -> b.bucket(BulkFixture.BUCKET).key(o.key())));
        started(folder); // the folder is exported again from the start
        event.put("continuation", old);
        refused(event, false, "belongs to another export");
    }

    @Test
    void anImportCannotSkipTheManifestCheckOrTakeAnotherImportsToken() throws SQLException {
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, "items"), Budget.unlimited());
        ObjectNode load = BulkFixture.event("{\"target\": \"pg\", \"source\": \"" + folder + "\", \"destination\": {\"table\": \"items_copy\"}, "
            + "\"mode\": \"upsert\"}");
        load.set("continuation", BulkFixture.event("{\"phase\": \"load\", \"part\": 1}"));
        refused(load, true, "not a token");
        ObjectNode verifying = load.deepCopy();
        verifying.remove("continuation");
        BulkService.BulkOutcome first = f.service.importData(f.service.importRequest(verifying.put("mode", "replace")), BulkFixture.tiny());
        assertThat(first.done()).isFalse();
        load.put("continuation", first.token()); // a replace's token sent with an upsert
        refused(load, true, "belongs to another request");
    }

    @Test
    void anExportTokenDoesNotContinueAnImport() throws SQLException {
        String folder = BulkFixture.folder();
        ObjectNode event = started(folder);
        ObjectNode load = BulkFixture.event("{\"target\": \"pg\", \"source\": \"" + folder + "\", \"destination\": {\"table\": \"items_copy\"}, "
            + "\"mode\": \"insert\"}");
        load.set("continuation", event.get("continuation"));
        refused(load, true, "belongs to another request");
    }
}
