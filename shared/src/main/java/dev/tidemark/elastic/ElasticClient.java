package dev.tidemark.elastic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.json.Json;
import dev.tidemark.secrets.ConnectionSecrets;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.message.BasicHeader;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A thin JSON-over-HTTP client on Elasticsearch's low-level REST client: every answer, whatever its status, comes
 * back as a {@link Reply}; only transport failures raise {@link ConnectionException}. Authenticates with basic auth or
 * an API key from the connection secret.
 */
public final class ElasticClient implements AutoCloseable {

    /**
     * An HTTP answer.
     *
     * @param status HTTP status
     * @param body parsed JSON body, or a missing node when empty or not JSON
     */
    public record Reply(int status, JsonNode body) {
        /** @return whether the status is 2xx */
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** @return {@code error.type: error.reason} of an Elasticsearch error body, or the status */
        public String error() {
            JsonNode e = body.path("error");
            if (e.isObject()) {
                return e.path("type").asText() + ": " + e.path("reason").asText();
            }
            if (e.isTextual()) {
                return e.asText();
            }
            return "HTTP " + status;
        }

        /**
         * @param what what was being done, e.g. {@code elasticsearch target 'search': cannot write tidemark_lock}
         * @return the typed error for this non-2xx answer, decided by the HTTP status (RFC 9110): 429 and 5xx are a
         *         retryable {@link ConnectionException}; anything else a non-retryable
         *         {@link dev.tidemark.error.StoreException}; the message holds the status and Elasticsearch's error type only
         */
        public dev.tidemark.error.TidemarkException failure(String what) {
            String type = body.path("error").isObject() ? " " + body.path("error").path("type").asText() : "";
            String message = what + ": HTTP " + status + type;
            return status == 429 || status >= 500 ? new ConnectionException(message) : new dev.tidemark.error.StoreException(message, null);
        }
    }

    private final RestClient client;
    private final String url;

    /** @param connection URL and credentials; connect timeout 5 s, socket (read) timeout 120 s */
    public ElasticClient(ConnectionSecrets.Elastic connection) {
        this(connection, java.time.Duration.ofSeconds(120));
    }

    /**
     * @param connection URL and credentials
     * @param socketTimeout the longest a request may wait for the node's answer (migrations: shorter than the lease)
     */
    public ElasticClient(ConnectionSecrets.Elastic connection, java.time.Duration socketTimeout) {
        this.url = connection.url();
        List<Header> headers = new ArrayList<>();
        if (connection.apiKey() != null) {
            headers.add(new BasicHeader("Authorization", "ApiKey " + connection.apiKey()));
        } else if (connection.username() != null) {
            String token = Base64.getEncoder().encodeToString((connection.username() + ":" + (connection.password() == null ? "" : connection.password()))
                .getBytes(StandardCharsets.UTF_8));
            headers.add(new BasicHeader("Authorization", "Basic " + token));
        }
        this.client = RestClient.builder(HttpHost.create(connection.url()))
            .setDefaultHeaders(headers.toArray(Header[]::new))
            .setRequestConfigCallback(c -> c.setConnectTimeout(5_000).setSocketTimeout((int) socketTimeout.toMillis()))
            .build();
    }

    /**
     * @param method HTTP method
     * @param path path and query
     * @param body JSON body or {@code null}
     * @return the answer
     * @throws ConnectionException when the cluster cannot be reached
     */
    public Reply send(String method, String path, String body) {
        return send(method, path, body, Json.MAPPER);
    }

    /**
     * @param method HTTP method
     * @param path path and query
     * @param body JSON or NDJSON body, or {@code null}
     * @param mapper the mapper that parses the answer (bulk transfers pass one that keeps every digit of a number)
     * @return the answer
     * @throws ConnectionException when the cluster cannot be reached
     */
    public Reply send(String method, String path, String body, com.fasterxml.jackson.databind.ObjectMapper mapper) {
        return sendRaw(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8)).parsed(mapper);
    }

    /**
     * An HTTP answer kept as bytes, for bulk paths that copy documents without parsing them into trees.
     *
     * @param status HTTP status
     * @param body the body's bytes (empty when there is none)
     */
    public record RawReply(int status, byte[] body) {
        /** @return whether the status is 2xx */
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** @return the body parsed as a {@link Reply}, for reading an error */
        public Reply parsed() {
            return parsed(Json.MAPPER);
        }

        /**
         * @param mapper the mapper that parses the body
         * @return the body parsed as a {@link Reply}: a missing node when blank, a text node when not JSON
         */
        public Reply parsed(com.fasterxml.jackson.databind.ObjectMapper mapper) {
            String text = new String(body, StandardCharsets.UTF_8);
            JsonNode tree;
            try {
                tree = text.isBlank() ? mapper.missingNode() : mapper.readTree(text);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                tree = Json.MAPPER.getNodeFactory().textNode(text);
            }
            return new Reply(status, tree);
        }
    }

    /**
     * @param method HTTP method
     * @param path path and query
     * @param body the body's bytes: JSON, or NDJSON for {@code _bulk}; or {@code null}
     * @return the answer's status and bytes
     * @throws ConnectionException when the cluster cannot be reached
     */
    public RawReply sendRaw(String method, String path, byte[] body) {
        Request request = new Request(method, path);
        if (body != null) {
            boolean ndjson = path.contains("_bulk") || path.contains("_msearch");
            request.setEntity(new ByteArrayEntity(body, ndjson ? ContentType.create("application/x-ndjson",
                StandardCharsets.UTF_8) : ContentType.APPLICATION_JSON));
        }
        Response response;
        try {
            response = client.performRequest(request);
        } catch (ResponseException e) {
            response = e.getResponse();
        } catch (IOException e) {
            throw new ConnectionException("elasticsearch: the node cannot be reached (" + e.getClass().getSimpleName() + ")", e);
        }
        try {
            byte[] bytes = response.getEntity() == null ? new byte[0] : EntityUtils.toByteArray(response.getEntity());
            return new RawReply(response.getStatusLine().getStatusCode(), bytes);
        } catch (IOException e) {
            throw new ConnectionException("elasticsearch: the answer could not be read (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /**
     * @param method HTTP method
     * @param path path and query
     * @param body a value serialised as JSON, or {@code null}
     * @return the answer
     */
    public Reply sendJson(String method, String path, Object body) {
        try {
            return send(method, path, body == null ? null : Json.MAPPER.writeValueAsString(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            // closing a pooled HTTP client has nothing left to recover
        }
    }
}
