package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.error.ValidationException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How search answers and import lines are cut into documents as bytes (the bulk paths' tests run them on a real node). */
class ElasticRecordsTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static final String ANSWER = "{\"pit_id\":\"p\\/1==\",\"took\":3,\"timed_out\":false,\"_shards\":{\"total\":1},\"hits\":{\"max_score\":null,"
        + "\"hits\":[{\"_index\":\"t\",\"_id\":\"a\\\"b\",\"_score\":null,\"_source\":{\"s\":\"}]{[\\\"\",\"sort\":[9],\"n\":0.1000000000000000055511151231257827},\"sort\":[4]},"
        + "{\"_index\":\"t\",\"_id\":\"é\",\"_score\":null,\"_source\":{\n  \"pretty\": [1, 2]\n},\"sort\":[7]}]}}";

    @Test
    void aSearchAnswerBecomesExportLinesThatKeepEachSourceAsItWasStored() {
        ElasticRecords.Page page = ElasticRecords.page(utf8(ANSWER));
        assertThat(page.pitId()).isEqualTo("p/1==");
        assertThat(page.lines()).hasSize(2);
        assertThat(text(page.lines().get(0)))
            .isEqualTo("{\"_id\":\"a\\\"b\",\"_source\":{\"s\":\"}]{[\\\"\",\"sort\":[9],\"n\":0.1000000000000000055511151231257827}}\n");
        // a source stored pretty-printed is rewritten compact, so that the record stays one line
        assertThat(text(page.lines().get(1))).isEqualTo("{\"_id\":\"é\",\"_source\":{\"pretty\":[1,2]}}\n");
        assertThat(page.sorts().stream().map(ElasticRecordsTest::text).toList()).containsExactly("[4]", "[7]");
        JsonNode line = ExactJson.read(page.lines().get(0));
        assertThat(line.path("_id").asText()).isEqualTo("a\"b");
    }

    @Test
    void theLastSortValuesAndThePointInTimeAreFoundWithoutReadingThePage() {
        assertThat(text(ElasticRecords.lastSort(utf8(ANSWER)))).isEqualTo("[7]");
        assertThat(ElasticRecords.leadingPitId(utf8(ANSWER))).isEqualTo("p/1==");
        String empty = "{\"pit_id\":\"p\",\"took\":1,\"hits\":{\"max_score\":null,\"hits\":[]}}";
        assertThat(ElasticRecords.lastSort(utf8(empty))).isNull();
        assertThat(ElasticRecords.page(utf8(empty)).lines()).isEmpty();
        assertThat(ElasticRecords.leadingPitId(utf8("{\"took\":1,\"pit_id\":\"p\"}"))).isNull();
        // laid out otherwise (spaces): no sort values found though there are hits, which the export refuses to take for the end
        String spaced = "{\"hits\": {\"hits\": [{\"_id\": \"1\", \"_source\": {}, \"sort\": [4]}]}}";
        assertThat(ElasticRecords.lastSort(utf8(spaced))).isNull();
        assertThat(ElasticRecords.page(utf8(spaced)).lines()).hasSize(1);
    }

    @Test
    void anImportLineIsAnExportRecordOrAPlainDocumentWithItsIdField() {
        ElasticRecords.Document wrapped = ElasticRecords.document(utf8("{\"_id\": \"x\\u0041\", \"_source\": {\"a\": [1, {\"b\": \"}\"}]}}"), null, "r1");
        assertThat(wrapped.id()).isEqualTo("xA");
        assertThat(text(wrapped.source())).isEqualTo("{\"a\": [1, {\"b\": \"}\"}]}");
        ElasticRecords.Document plain = ElasticRecords.document(utf8("{\"id\": 42, \"name\": \"n\"}"), "id", "r2");
        assertThat(plain.id()).isEqualTo("42");
        assertThat(text(plain.source())).isEqualTo("{\"id\": 42, \"name\": \"n\"}");
        assertThat(ElasticRecords.document(utf8("{\"_source\": {}}"), null, "r3").id()).isNull();
        assertThat(text(ElasticRecords.action("create", "q\""))).isEqualTo("{\"create\":{\"_id\":\"q\\\"\"}}\n");
        assertThat(text(ElasticRecords.action("index", null))).isEqualTo("{\"index\":{}}\n");
    }

    @Test
    void malformedImportLinesAreRefusedNamingTheRecord() {
        assertThatThrownBy(() -> ElasticRecords.document(utf8("[1, 2]"), null, "record 5 of part-00001.ndjson.gz"))
            .isInstanceOf(ValidationException.class).hasMessage("record 5 of part-00001.ndjson.gz is not a JSON object");
        assertThatThrownBy(() -> ElasticRecords.document(utf8("{\"a\": \"open"), null, "record 6"))
            .isInstanceOf(ValidationException.class).hasMessageContaining("record 6 is not JSON");
        assertThatThrownBy(() -> ElasticRecords.document(utf8("{\"_id\": \"1\", \"_source\": 3}"), null, "record 7"))
            .isInstanceOf(ValidationException.class).hasMessageContaining("record 7: _source is not a JSON object");
        assertThatThrownBy(() -> ElasticRecords.document(utf8("{\"id\": {\"x\": 1}}"), "id", "record 8"))
            .isInstanceOf(ValidationException.class).hasMessage("destination.idField: record 8 has no scalar 'id'");
    }
}
