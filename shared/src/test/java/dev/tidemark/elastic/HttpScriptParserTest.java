package dev.tidemark.elastic;

import dev.tidemark.error.ValidationException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpScriptParserTest {

    @Test
    void readsSeveralRequestsWithMultiLineBodiesAndComments() {
        String file = """
            # create the index
            // and its alias
            PUT /tracks-v1
            {
              "settings": {"number_of_replicas": 0}
            }

            POST _aliases
            {"actions": [{"add": {"index": "tracks-v1", "alias": "tracks"}}]}

            DELETE /old-index
            """;
        List<HttpRequestSpec> requests = HttpScriptParser.parse("V1__x.http", file);
        assertThat(requests).extracting(HttpRequestSpec::method).containsExactly("PUT", "POST", "DELETE");
        assertThat(requests).extracting(HttpRequestSpec::path).containsExactly("/tracks-v1", "/_aliases", "/old-index");
        assertThat(requests.get(0).body()).isEqualTo("{\"settings\":{\"number_of_replicas\":0}}");
        assertThat(requests.get(0).line()).isEqualTo(3);
        assertThat(requests.get(2).body()).isNull();
    }

    @Test
    void keepsBulkBodiesAsNdjsonLines() {
        List<HttpRequestSpec> requests = HttpScriptParser.parse("V1__x.http", """
            POST /genres/_bulk?refresh=true
            { "index": { "_id": "jazz" } }
            { "name": "jazz" }
            """);
        assertThat(requests.getFirst().body()).isEqualTo("{ \"index\": { \"_id\": \"jazz\" } }\n{ \"name\": \"jazz\" }\n");
    }

    @Test
    void aBodyThatIsNotJsonNamesTheFileAndTheLine() {
        assertThatThrownBy(() -> HttpScriptParser.parse("V2__bad.http", "\n\nPUT /x\n{\"a\": }\n"))
            .isInstanceOf(ValidationException.class)
            .hasMessageStartingWith("migration V2__bad.http line 3: body of PUT /x is not valid JSON");
    }

    @Test
    void textBeforeTheFirstRequestLineIsRefused() {
        assertThatThrownBy(() -> HttpScriptParser.parse("V3__bad.http", "{\"a\": 1}\nPUT /x\n"))
            .isInstanceOf(ValidationException.class).hasMessageContaining("line 1: expected a request line");
    }

    @Test
    void aFileWithoutRequestsIsRefused() {
        assertThatThrownBy(() -> HttpScriptParser.parse("V4__empty.http", "# nothing\n"))
            .isInstanceOf(ValidationException.class).hasMessageContaining("holds no request");
    }
}
