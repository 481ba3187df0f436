package dev.tidemark.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.migration.Store;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.OpenSearchServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code _delete_by_query} path of {@link ElasticEraser}, on an OpenSearch 3.8 node that has the reindex module (the
 * Elasticsearch node of the other tests has not, and takes the search and {@code _bulk} path).
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.tidemark.testing.ServersExtension.class)
class ElasticDeleteByQueryTest {

    private static OpenSearchServer server;
    private static ElasticClient client;
    private static final ErasurePlan PLAN = ErasurePlan.parse(Store.ELASTICSEARCH, "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, "
        + "\"indices\": [{\"index\": \"audit\", \"match\": {\"field\": \"actor_id\"}, \"action\": \"delete\"}]}");

    @BeforeAll
    static void openSearchWithAnAuditAliasOverTwoIndices(OpenSearchServer shared) {
        server = shared;
        client = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null));
        for (String index : new String[] {"audit-v1", "audit-v2"}) {
            assertThat(client.send("PUT", "/" + index, "{\"mappings\": {\"properties\": {\"actor_id\": {\"type\": \"keyword\"}, \"n\": {\"type\": "
                + "\"integer\"}}}, \"aliases\": {\"audit\": {}}}").ok()).isTrue();
        }
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < 6_000; i++) {
            int actor = i % 2 == 0 ? 42 : 100 + i % 50;
            bulk.append("{\"index\": {\"_index\": \"audit-v").append(i % 3 == 0 ? 2 : 1).append("\", \"_id\": \"").append(i).append("\"}}\n")
                .append("{\"actor_id\": \"").append(actor).append("\", \"n\": ").append(i).append("}\n");
        }
        assertThat(client.send("POST", "/_bulk?refresh=true", bulk.toString()).body().path("errors").asBoolean()).isFalse();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            // the node is shared with other tests (ServersExtension stops it): leave it as found
            try (ElasticClient c = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null))) {
                c.send("DELETE", "/audit-v1,audit-v2?ignore_unavailable=true", null);
            }
        }
    }

    /** @return every entry but the subject's, id to source, and the subject's count */
    private static Map<String, String> everyoneElse() {
        Map<String, String> out = new TreeMap<>();
        JsonNode hits = client.send("POST", "/audit/_search", "{\"size\": 10000, \"query\": {\"bool\": {\"must_not\": {\"term\": {\"actor_id\": "
            + "\"42\"}}}}}").body().path("hits").path("hits");
        hits.forEach(h -> out.put(h.path("_index").asText() + "/" + h.path("_id").asText(), h.path("_source").toString()));
        return out;
    }

    private static long subjectsEntries() {
        return client.send("POST", "/audit/_count", "{\"query\": {\"term\": {\"actor_id\": \"42\"}}}").body().path("count").asLong();
    }

    @Test
    void aDryRunCountsThenDeleteByQueryErasesTheSubjectThroughTheAliasAndNothingElse() {
        SubjectId subject = SubjectId.parse("42", SubjectId.IdType.INTEGER, "subject.id");
        Map<String, String> others = everyoneElse();
        assertThat(others).hasSize(3_000);

        ElasticEraser dry = new ElasticEraser("search", PLAN, 100);
        ErasureResult counted = dry.erase(client, subject, true);
        assertThat(counted.items().getFirst().remaining()).isEqualTo(3_000);
        assertThat(dry.usedDeleteByQuery()).as("a dry run sends no erasing request").isNull();
        assertThat(subjectsEntries()).isEqualTo(3_000);

        ElasticEraser first = new ElasticEraser("search", PLAN, 100);
        ErasureResult partial = first.erase(client, subject, false, () -> true);
        assertThat(first.usedDeleteByQuery()).isTrue();
        assertThat(partial.done()).as("out of time after one request of ten batches").isFalse();
        assertThat(partial.items().getFirst().erased()).isEqualTo(1_000);
        assertThat(partial.items().getFirst().remaining()).isEqualTo(2_000);

        ElasticEraser rest = new ElasticEraser("search", PLAN, 100);
        ErasureResult done = rest.erase(client, subject, false);
        assertThat(done.done()).isTrue();
        assertThat(done.items().getFirst().erased()).isEqualTo(2_000);
        assertThat(done.items().getFirst().remaining()).isZero();
        assertThat(subjectsEntries()).isZero();
        assertThat(everyoneElse()).as("every other entry, in both indices behind the alias, is untouched").isEqualTo(others);
    }
}
