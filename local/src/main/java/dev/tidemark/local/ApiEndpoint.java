package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The erasure API as API Gateway serves it (REST API, proxy integration, AWS_IAM authorisation), on {@code 127.0.0.1}:
 * {@code POST /erasures} and {@code GET /erasures/{id}}. Every request must carry a valid Signature Version 4 for the
 * service {@code execute-api} under the local credentials, dated within 5 minutes; otherwise it is answered 403 with
 * API Gateway's messages ({@code Missing Authentication Token}, {@code The request signature we calculated does not
 * match...}, {@code Signature expired...}), and the function is not called. A signed request becomes a proxy event
 * (payload format 1.0, {@code requestContext.identity.userArn} the local caller) for the API function, invoked through
 * the local Lambda endpoint; its {@code {statusCode, headers, body}} is the answer. The signature is recomputed from the
 * received request as the SigV4 specification says (canonical request, string to sign, derived key; AWS General Reference,
 * "Signature Version 4 signing process") over the headers the client signed, and compared in constant time. The AWS
 * SDK signs but does not verify, hence this code.
 */
public final class ApiEndpoint implements AutoCloseable {

    /** The caller every signed local request is authorised as. */
    public static final String CALLER_ARN = "arn:aws:iam::" + LambdaEndpoint.ACCOUNT + ":user/local-privacy-team";
    private static final Pattern AUTHORIZATION = Pattern.compile(
        "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})");
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Duration SKEW = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;
    /** How much of a refused body is read and dropped so the client sees the 413 rather than a reset; API Gateway's own cap is 10 MB. */
    private static final long MAX_DRAINED = 16L << 20;

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "local-api");
        t.setDaemon(true);
        return t;
    });
    private final String accessKey;
    private final String secretKey;
    private final String lambdaUrl;
    private final String function;
    private final HttpClient http = HttpClient.newHttpClient();

    /**
     * @param port the port to bind on 127.0.0.1 (0: any free one)
     * @param accessKey the local access key id a signature must name
     * @param secretKey its secret
     * @param lambdaUrl the local Lambda endpoint
     * @param function the API function's logical id
     */
    public ApiEndpoint(int port, String accessKey, String secretKey, String lambdaUrl, String function) {
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.lambdaUrl = lambdaUrl;
        this.function = function;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind the local erasure API on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** @return the API's base URL, e.g. {@code http://127.0.0.1:4010} */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                // Closing a connection with unread bytes makes the kernel send a reset, which can overtake the answer.
                drain(exchange.getRequestBody());
                respond(exchange, 413, "{\"message\":\"Request Too Long\"}");
                return;
            }
            String refusal = refusal(exchange, body);
            if (refusal != null) {
                respond(exchange, 403, JSON.writeValueAsString(Map.of("message", refusal)));
                return;
            }
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            ObjectNode event = JSON.createObjectNode();
            event.put("httpMethod", method);
            event.put("path", path);
            if (path.equals("/erasures")) {
                event.put("resource", "/erasures");
            } else if (path.startsWith("/erasures/") && path.indexOf('/', "/erasures/".length()) < 0 && path.length() > "/erasures/".length()) {
                event.put("resource", "/erasures/{id}");
                event.putObject("pathParameters").put("id", URLDecoder.decode(path.substring("/erasures/".length()), StandardCharsets.UTF_8));
            } else {
                respond(exchange, 403, "{\"message\":\"Missing Authentication Token\"}");
                return;
            }
            if (!(method.equals("POST") && path.equals("/erasures")) && !(method.equals("GET") && !path.equals("/erasures"))) {
                respond(exchange, 403, "{\"message\":\"Missing Authentication Token\"}");
                return;
            }
            event.put("body", body.length == 0 ? null : new String(body, StandardCharsets.UTF_8));
            event.put("isBase64Encoded", false);
            ObjectNode context = event.putObject("requestContext");
            context.put("requestId", UUID.randomUUID().toString());
            context.putObject("identity").put("userArn", CALLER_ARN).put("accessKey", accessKey);
            HttpResponse<String> invoked = http.send(HttpRequest.newBuilder(URI.create(lambdaUrl + "/2015-03-31/functions/" + function
                + "/invocations")).POST(HttpRequest.BodyPublishers.ofString(event.toString())).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode answer = JSON.readTree(invoked.body());
            if (invoked.headers().firstValue("X-Amz-Function-Error").isPresent() || !answer.path("statusCode").isInt()) {
                respond(exchange, 502, "{\"message\":\"Internal server error\"}"); // API Gateway's answer to a failed integration
                return;
            }
            respond(exchange, answer.path("statusCode").asInt(), answer.path("body").asText(""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return why API Gateway would refuse the request's SigV4 signature, or {@code null} when it is valid */
    String refusal(HttpExchange exchange, byte[] body) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        String date = exchange.getRequestHeaders().getFirst("X-Amz-Date");
        if (authorization == null || date == null) {
            return "Missing Authentication Token";
        }
        Matcher m = AUTHORIZATION.matcher(authorization.strip());
        if (!m.matches()) {
            return "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.";
        }
        if (!m.group(1).equals(accessKey)) {
            return "The security token included in the request is invalid.";
        }
        Instant at;
        try {
            at = Instant.from(AMZ_DATE.parse(date));
        } catch (DateTimeParseException e) {
            return "Invalid X-Amz-Date";
        }
        if (Duration.between(at, Instant.now()).abs().compareTo(SKEW) > 0) {
            return "Signature expired: " + date + " is now earlier or later than 5 minutes from now.";
        }
        if (!m.group(4).equals("execute-api") || !m.group(3).equals(LambdaEndpoint.REGION) || !m.group(2).equals(date.substring(0, 8))) {
            return "Credential should be scoped to a valid region, service execute-api and the request's date.";
        }
        List<String> signed = List.of(m.group(5).split(";"));
        if (!signed.contains("host")) {
            return "'Host' must be a 'SignedHeader' in the AWS Authorization.";
        }
        StringBuilder canonical = new StringBuilder();
        canonical.append(exchange.getRequestMethod()).append('\n');
        canonical.append(canonicalUri(exchange.getRequestURI().getRawPath())).append('\n');
        canonical.append(canonicalQuery(exchange.getRequestURI().getRawQuery())).append('\n');
        for (String h : signed) {
            List<String> values = exchange.getRequestHeaders().get(h);
            if (values == null) {
                return "The request signature we calculated does not match the signature you provided.";
            }
            canonical.append(h).append(':').append(String.join(",", values.stream().map(v -> v.strip().replaceAll(" +", " ")).toList())).append('\n');
        }
        canonical.append('\n').append(m.group(5)).append('\n').append(hex(sha256(body)));
        String scope = m.group(2) + "/" + m.group(3) + "/" + m.group(4) + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex(sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), m.group(2));
        for (String part : List.of(m.group(3), m.group(4), "aws4_request")) {
            key = hmac(key, part);
        }
        byte[] expected = hex(hmac(key, toSign)).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, m.group(6).getBytes(StandardCharsets.US_ASCII)) ? null
            : "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.";
    }

    /** SigV4's canonical URI for services other than S3: every segment of the (already encoded) path encoded once more. */
    private static String canonicalUri(String rawPath) {
        if (rawPath == null || rawPath.isEmpty()) {
            return "/";
        }
        return java.util.Arrays.stream(rawPath.split("/", -1)).map(ApiEndpoint::encode).collect(java.util.stream.Collectors.joining("/"));
    }

    private static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        return java.util.Arrays.stream(rawQuery.split("&")).map(p -> {
            int eq = p.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8);
            return encode(k) + "=" + encode(v);
        }).sorted().collect(java.util.stream.Collectors.joining("&"));
    }

    /** RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 specifies. */
    private static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String message) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(bytes);
    }

    private static void drain(java.io.InputStream in) throws IOException {
        byte[] sink = new byte[64 * 1024];
        long drained = 0;
        for (int n; drained < MAX_DRAINED && (n = in.read(sink)) >= 0; ) {
            drained += n;
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
