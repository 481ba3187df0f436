package dev.tidemark.elastic;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code .http} migrations written in the Kibana Dev Tools console form (as elasticsearch-evolution reads them):
 * a request line {@code METHOD /path[?query]} followed by an optional body up to the next request line. Lines starting
 * with {@code #} or {@code //} outside a body are comments. A body is one JSON value, or one JSON object per line for
 * {@code _bulk} and {@code _msearch} (NDJSON).
 */
public final class HttpScriptParser {

    private static final Pattern REQUEST_LINE = Pattern.compile("^(GET|PUT|POST|DELETE|HEAD|PATCH)\\s+(\\S+)\\s*$", Pattern.CASE_INSENSITIVE);

    private HttpScriptParser() {
    }

    /**
     * @param fileName for messages
     * @param content the file text
     * @return the requests in file order, at least one
     * @throws ValidationException naming the file and line when a body is not valid JSON, text precedes the first
     *                             request line, or the file holds no request
     */
    public static List<HttpRequestSpec> parse(String fileName, String content) {
        List<HttpRequestSpec> requests = new ArrayList<>();
        String[] lines = content.split("\\R", -1);
        String method = null;
        String path = null;
        int requestLine = 0;
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String trimmed = line.strip();
            Matcher m = REQUEST_LINE.matcher(trimmed);
            if (m.matches()) {
                if (method != null) {
                    requests.add(build(fileName, method, path, body.toString(), requestLine));
                }
                method = m.group(1).toUpperCase(Locale.ROOT);
                path = m.group(2).startsWith("/") ? m.group(2) : "/" + m.group(2);
                requestLine = i + 1;
                body.setLength(0);
                continue;
            }
            boolean comment = trimmed.startsWith("#") || trimmed.startsWith("//");
            if (method == null) {
                if (!trimmed.isEmpty() && !comment) {
                    throw new ValidationException("migration " + fileName + " line " + (i + 1)
                        + ": expected a request line such as 'PUT /index' but found '" + abbreviate(trimmed) + "'");
                }
                continue;
            }
            if (comment && body.isEmpty()) {
                continue;
            }
            body.append(line).append('\n');
        }
        if (method != null) {
            requests.add(build(fileName, method, path, body.toString(), requestLine));
        }
        if (requests.isEmpty()) {
            throw new ValidationException("migration " + fileName + ": holds no request");
        }
        return requests;
    }

    private static HttpRequestSpec build(String fileName, String method, String path, String rawBody, int line) {
        String body = rawBody.strip();
        if (body.isEmpty()) {
            return new HttpRequestSpec(method, path, null, line);
        }
        boolean ndjson = path.contains("_bulk") || path.contains("_msearch");
        try {
            if (ndjson) {
                StringBuilder sb = new StringBuilder();
                for (String l : body.split("\\R")) {
                    if (!l.isBlank()) {
                        Json.MAPPER.readTree(l);
                        sb.append(l.strip()).append('\n');
                    }
                }
                return new HttpRequestSpec(method, path, sb.toString(), line);
            }
            var tree = Json.MAPPER.readTree(body);
            return new HttpRequestSpec(method, path, Json.MAPPER.writeValueAsString(tree), line);
        } catch (JsonProcessingException e) {
            throw new ValidationException("migration " + fileName + " line " + line + ": body of " + method + " " + path
                + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
