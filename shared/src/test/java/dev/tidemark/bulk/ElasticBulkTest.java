package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.error.ValidationException;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(ServersExtension.class)
class ElasticBulkTest {

    private BulkFixture f;
    private ElasticClient es;
    private ElasticsearchServer server;
    private String index;

    @BeforeEach
    void setUp(PostgresServer pg, MongoServer mongo, ElasticsearchServer server, S3Server s3) {
        this.server = server;
        f = new BulkFixture(pg, mongo, server, s3);
        es = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null));
        index = TestServers.unique("tracks").toLowerCase();
        es.send("PUT", "/" + index, "{\"settings\": {\"number_of_shards\": 2, \"number_of_replicas\": 0}, \"mappings\": {\"properties\": "
            + "{\"title\": {\"type\": \"text\"}, \"n\": {\"type\": \"long\"}, \"price\": {\"type\": \"scaled_float\", \"scaling_factor\": 100}}}}");
        StringBuilder bulk = new StringBuilder();
        bulk.append("{\"index\": {\"_id\": \"special\"}}\n{\"title\": \"héllo wörld ✓ 日本語 🎉\", \"n\": 9007199254740993, \"exact\": 0.1000000000000000055511151231257827, "
            + "\"nothing\": null, \"tags\": [\"a\", \"b\"], \"things\": [{\"deep\": [true, null]}, {\"deep\": [false]}], \"meta\": {\"nested\": {\"text\": \"line1\\nline2\\t\\\"q\\\"\"}}, "
            + "\"at\": \"2026-11-23T10:00:00.123+05:30\", \"blob\": \"AP8Q\"}\n");
        bulk.append("{\"index\": {\"_id\": \"large\"}}\n{\"title\": \"").append("x".repeat(200_000)).append("\"}\n");
        for (int i = 0; i < 3000; i++) {
            bulk.append("{\"index\": {\"_id\": \"").append(i).append("\"}}\n{\"n\": ").append(i).append(", \"price\": ").append(i / 100.0)
                .append(", \"title\": \"track ").append(Integer.toHexString(i * 7919)).append("\"}\n");
        }
        assertThat(es.send("POST", "/" + index + "/_bulk?refresh=true", bulk.toString()).body().path("errors").asBoolean()).isFalse();
    }

    @AfterEach
    void tearDown() {
        // wildcard deletes are refused (action.destructive_requires_name); indices left behind would turn the cluster yellow
        for (JsonNode i : es.send("GET", "/_cat/indices/" + index + "*?format=json&h=index", null).body()) {
            es.send("DELETE", "/" + i.path("index").asText(), null);
        }
        assertThat(es.send("GET", "/_cat/indices/" + index + "*?format=json&h=index", null).body()).isEmpty();
        es.close();
    }

    /** @return every document's _source by _id, exactly as stored */
    private Map<String, JsonNode> documents(String name) {
        es.send("POST", "/" + name + "/_refresh", null);
        Map<String, JsonNode> out = new TreeMap<>();
        JsonNode hits = es.send("GET", "/" + name + "/_search?size=10000", null, ExactJson.MAPPER).body().path("hits").path("hits");
        hits.forEach(h -> out.put(h.path("_id").asText(), h.path("_source")));
        return out;
    }

    private static void assertSameDocuments(Map<String, JsonNode> actual, Map<String, JsonNode> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (String id : expected.keySet()) {
            assertThat(actual.get(id)).as("_source of " + id).isEqualTo(expected.get(id));
        }
    }

    private ObjectNode export(String folder, String extra) {
        return BulkFixture.event("{\"target\": \"search\", \"source\": {\"index\": \"" + index + "\"" + extra + "}, \"destination\": \"" + folder
            + "\", \"batchSize\": 500}");
    }

    private ObjectNode importInto(String target, String folder, String name, String mode) {
        return BulkFixture.event("{\"target\": \"" + target + "\", \"source\": \"" + folder + "\", \"destination\": {\"index\": \"" + name
            + "\"}, \"mode\": \"" + mode + "\", \"batchSize\": 400}");
    }

    @Test
    void exportThenImportIntoAnEmptyIndexGivesIdenticalSourcesById() {
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, ""), Budget.unlimited());
        assertThat(f.manifest(folder).path("totalRows").asLong()).isEqualTo(3002);

        f.importAll(importInto("search", folder, index + "-copy", "insert"), Budget.unlimited());

        Map<String, JsonNode> copy = documents(index + "-copy");
        assertThat(copy).hasSize(3002);
        assertSameDocuments(copy, documents(index));
        assertThat(copy.get("special").path("n").asText()).isEqualTo("9007199254740993");
        assertThat(copy.get("special").path("exact").decimalValue()).isEqualByComparingTo("0.1000000000000000055511151231257827");
    }

    @Test
    void aQueryExportResumedThroughThePointInTimeWritesTheSamePartsAsAnUninterruptedOne() {
        String whole = BulkFixture.folder();
        String pieces = BulkFixture.folder();
        String query = ", \"query\": {\"range\": {\"n\": {\"gte\": 1000}}}";
        f.exportAll(export(whole, query), Budget.unlimited());
        ObjectNode event = export(pieces, query);
        int calls = f.exportAll(event, BulkFixture.tiny());
        assertThat(f.manifest(pieces).path("totalRows").asLong()).isEqualTo(2001);
        assertThat(f.manifest(pieces).path("parts")).isEqualTo(f.manifest(whole).path("parts"));
        assertThat(calls).isEqualTo(f.manifest(whole).path("parts").size());

        f.importAll(importInto("search", pieces, index + "-big", "upsert"), BulkFixture.tiny());
        assertThat(documents(index + "-big")).hasSize(2001);
    }

    @Test
    void replaceLoadsANewIndexAndSwapsTheAliasSoReadersNeverSeeAHalfLoadedIndex() {
        String folder = BulkFixture.folder();
        f.exportAll(export(folder, ""), Budget.unlimited());
        String alias = index + "-live";
        es.send("PUT", "/" + index + "-v1", "{\"aliases\": {\"" + alias + "\": {}}, \"mappings\": {\"properties\": {\"n\": {\"type\": \"keyword\"}}}}");
        es.send("PUT", "/" + index + "-v1/_doc/old?refresh=true", "{\"n\": \"old\"}");

        ObjectNode event = importInto("search", folder, alias, "replace");
        BulkService.BulkOutcome o = f.service.importData(f.service.importRequest(event), BulkFixture.tiny());
        while (!o.continuation().phase().equals("load")) {
            event.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(o.token()));
            o = f.service.importData(f.service.importRequest(event), BulkFixture.tiny());
        }
        assertThat(documents(alias)).containsOnlyKeys("old");
        event.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(o.token()));
        f.importAll(event, Budget.unlimited());

        assertSameDocuments(documents(alias), documents(index));
        assertThat(es.send("HEAD", "/" + index + "-v1", null).status()).as("replaced index deleted").isEqualTo(404);
        JsonNode mapping = es.send("GET", "/" + alias + "/_mapping", null).body();
        assertThat(mapping.toString()).contains("\"n\":{\"type\":\"keyword\"}");
    }

    @Test
    void http429AnswersAreRetriedAfterABackOff() throws IOException {
        AtomicInteger rejected = new AtomicInteger();
        HttpClient http = HttpClient.newHttpClient();
        HttpServer proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        proxy.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            byte[] answer;
            int status;
            if (exchange.getRequestURI().getPath().endsWith("/_bulk") && rejected.getAndIncrement() < 3) {
                status = 429;
                answer = "{\"error\": {\"type\": \"es_rejected_execution_exception\", \"reason\": \"rejected execution\"}, \"status\": 429}"
                    .getBytes(StandardCharsets.UTF_8);
            } else {
                try {
                    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + exchange.getRequestURI()))
                        .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
                    String type = exchange.getRequestHeaders().getFirst("Content-Type");
                    if (type != null) {
                        b.header("Content-Type", type);
                    }
                    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                    status = r.statusCode();
                    answer = r.body();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        proxy.start();
        try {
            f.secrets.put("throttled-secret", "{\"url\": \"http://127.0.0.1:" + proxy.getAddress().getPort() + "\"}");
            String folder = BulkFixture.folder();
            f.exportAll(export(folder, ""), Budget.unlimited());
            f.importAll(importInto("throttled", folder, index + "-throttled", "insert"), Budget.unlimited());
            assertThat(rejected.get()).isGreaterThan(3);
            assertSameDocuments(documents(index + "-throttled"), documents(index));
        } finally {
            proxy.stop(0);
        }
    }

    @Test
    void aPostgresTableGoesThroughS3IntoAnElasticsearchIndex(PostgresServer pg) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(f.pgDatabase), "postgres", "x"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE songs (id int PRIMARY KEY, title text, price numeric(38,10), at timestamptz, tags text[], meta jsonb)");
            s.execute("INSERT INTO songs SELECT i, 'song ' || i || ' ✓', i / 3.0, '2026-11-23 10:00:00+00', ARRAY['a', 'b' || i], "
                + "jsonb_build_object('nested', jsonb_build_object('i', i)) FROM generate_series(1, 1500) i");
        }
        String folder = BulkFixture.folder();
        f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"table\": \"songs\"}, \"destination\": \"" + folder + "\", \"format\": \"ndjson\"}"),
            Budget.unlimited());
        ObjectNode event = importInto("search", folder, index + "-songs", "upsert");
        ((ObjectNode) event.path("destination")).put("idField", "id");
        f.importAll(event, Budget.unlimited());

        Map<String, JsonNode> docs = documents(index + "-songs");
        assertThat(docs).hasSize(1500);
        JsonNode seven = docs.get("7");
        assertThat(seven.path("title").asText()).isEqualTo("song 7 ✓");
        assertThat(seven.path("price").decimalValue()).isEqualByComparingTo("2.3333333333");
        assertThat(seven.path("tags").toString()).isEqualTo("[\"a\",\"b7\"]");
        assertThat(seven.path("meta").path("nested").path("i").asInt()).isEqualTo(7);
        assertThat(seven.path("at").asText()).isEqualTo("2026-11-23T10:00:00+00:00");
    }

    @Test
    void recordsSharingAnIdEndAsTheLastOfThemThoughBatchesAreSentTwoAtATime(PostgresServer pg) throws Exception {
        String folder = BulkFixture.folder();
        f.exportAll(BulkFixture.event("{\"target\": \"pg\", \"source\": {\"query\": \"SELECT n, n % 3 AS id, 'v' || n AS v FROM "
            + "generate_series(1, 60) n\", \"key\": [\"n\"]}, \"destination\": \"" + folder + "\", \"format\": \"ndjson\"}"), Budget.unlimited());
        ObjectNode event = importInto("search", folder, index + "-dupes", "upsert");
        ((ObjectNode) event.path("destination")).put("idField", "id");
        event.put("batchSize", 1);
        f.importAll(event, Budget.unlimited());

        Map<String, JsonNode> docs = documents(index + "-dupes");
        assertThat(docs).hasSize(3);
        assertThat(docs.get("0").path("v").asText()).isEqualTo("v60");
        assertThat(docs.get("1").path("v").asText()).isEqualTo("v58");
        assertThat(docs.get("2").path("v").asText()).isEqualTo("v59");
    }

    @Test
    void badInputIsRefusedNamingTheFieldAndChangesNothing() {
        String folder = BulkFixture.folder();
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"search\", \"source\": {\"index\": \"nope\"}, \"destination\": \""
            + folder + "\"}"), Budget.unlimited())).isInstanceOf(ValidationException.class).hasMessageContaining("source.index: no index or alias 'nope'");
        assertThatThrownBy(() -> f.exportAll(export(folder, ", \"query\": {\"no_such_query\": {}}"), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageContaining("source.query");
        assertThatThrownBy(() -> f.exportAll(BulkFixture.event("{\"target\": \"search\", \"source\": {\"index\": \"a*\"}, \"destination\": \""
            + folder + "\"}"), Budget.unlimited())).hasMessageContaining("source.index: missing or not one index");
        f.exportAll(export(folder, ""), Budget.unlimited());
        assertThatThrownBy(() -> f.importAll(importInto("search", folder, index, "replace"), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageContaining("is an index, not an alias");
        assertThatThrownBy(() -> f.importAll(importInto("search", folder, index, "insert"), Budget.unlimited()))
            .isInstanceOf(ValidationException.class).hasMessageContaining("400 record(s) refused").hasMessageContaining("version_conflict");
        assertThatThrownBy(() -> f.importAll(importInto("search", folder, "Bad*Name", "insert"), Budget.unlimited()))
            .hasMessageContaining("destination.index: missing or not one index or alias name");
        assertThat(es.send("GET", "/_cat/indices/" + index + "*?h=index", null).body().toString()).doesNotContain("tidemark");
    }
}
