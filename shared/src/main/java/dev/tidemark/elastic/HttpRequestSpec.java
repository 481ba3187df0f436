package dev.tidemark.elastic;

/**
 * One request of an Elasticsearch migration.
 *
 * @param method HTTP method in upper case
 * @param path path with optional query, always starting with {@code /}
 * @param body the body (JSON, or NDJSON for {@code _bulk}), or {@code null}
 * @param line the 1-based line of the request line in its file
 */
public record HttpRequestSpec(String method, String path, String body, int line) {
}
