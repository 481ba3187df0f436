package dev.tidemark.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * The Lambda Invoke API ({@code POST /2015-03-31/functions/{name}/invocations}) on {@code 127.0.0.1}, serving the
 * functions of template.yaml in this JVM. The function name may be the logical id or a full ARN with or without a
 * qualifier. Each function's handler is created on its first invocation with its own environment (like a cold start)
 * and reused afterwards. A thrown error is answered the way Lambda answers it: status 200, header
 * {@code X-Amz-Function-Error: Unhandled}, body {@code {errorMessage, errorType, stackTrace}} with the exception's fully
 * qualified class name as {@code errorType}.
 */
public final class LambdaEndpoint implements AutoCloseable {

    /** Account id used in local ARNs. */
    public static final String ACCOUNT = "123456789012";
    /** Region used in local ARNs. */
    public static final String REGION = "us-east-1";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "lambda-endpoint");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, SamTemplate.Function> functions = new LinkedHashMap<>();
    private final Function<String, Map<String, String>> environment;
    private final Map<String, RequestStreamHandler> handlers = new ConcurrentHashMap<>();

    /**
     * @param functions the functions to serve
     * @param environment the environment variables of a function, by logical id
     */
    public LambdaEndpoint(List<SamTemplate.Function> functions, Function<String, Map<String, String>> environment) {
        functions.forEach(f -> this.functions.put(f.logicalId(), f));
        this.environment = environment;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind the local Lambda endpoint", e);
        }
        server.setExecutor(executor);
        server.createContext("/2015-03-31/functions/", this::handle);
        server.start();
    }

    /** @param logicalId a function's logical id @return its local ARN */
    public static String arn(String logicalId) {
        return "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:" + logicalId;
    }

    /** @return the endpoint, e.g. {@code http://127.0.0.1:40100} */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** @return the served functions' logical ids */
    public List<String> functionNames() {
        return List.copyOf(functions.keySet());
    }

    static String functionName(String pathSegment) {
        String name = URLDecoder.decode(pathSegment, StandardCharsets.UTF_8);
        int fn = name.indexOf(":function:");
        if (fn >= 0) {
            name = name.substring(fn + ":function:".length());
        }
        int qualifier = name.indexOf(':');
        return qualifier < 0 ? name : name.substring(0, qualifier);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String[] parts = exchange.getRequestURI().getRawPath().split("/");
            if (!"POST".equals(exchange.getRequestMethod()) || parts.length != 5 || !"invocations".equals(parts[4])) {
                respond(exchange, 404, Map.of(), "{\"message\":\"unknown route\"}");
                return;
            }
            SamTemplate.Function function = functions.get(functionName(parts[3]));
            if (function == null) {
                respond(exchange, 404, Map.of("X-Amzn-ErrorType", "ResourceNotFoundException"),
                    "{\"Type\":\"User\",\"message\":\"Function not found: " + parts[3].replace("\"", "") + "\"}");
                return;
            }
            byte[] payload = exchange.getRequestBody().readAllBytes();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                RequestStreamHandler handler = handlers.computeIfAbsent(function.logicalId(), id -> create(function));
                handler.handleRequest(new ByteArrayInputStream(payload.length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : payload), out,
                    new LocalContext(function.logicalId(), function.timeoutSeconds(), function.memoryMb()));
                respond(exchange, 200, Map.of("X-Amz-Executed-Version", "$LATEST"), out.toString(StandardCharsets.UTF_8));
            } catch (Throwable t) {
                Throwable error = t instanceof HandlerCreationException h ? h.getCause() : t;
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("errorMessage", String.valueOf(error.getMessage()));
                body.put("errorType", error.getClass().getName());
                body.put("stackTrace", Arrays.stream(error.getStackTrace()).limit(20).map(StackTraceElement::toString).toList());
                respond(exchange, 200, Map.of("X-Amz-Function-Error", "Unhandled"), JSON.writeValueAsString(body));
            }
        }
    }

    private RequestStreamHandler create(SamTemplate.Function function) {
        try {
            Class<?> type = Class.forName(function.handlerClass());
            return (RequestStreamHandler) type.getConstructor(Map.class).newInstance(environment.apply(function.logicalId()));
        } catch (InvocationTargetException e) {
            throw new HandlerCreationException(e.getCause());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new HandlerCreationException(new IllegalStateException("cannot create handler " + function.handler() + ": " + e, e));
        }
    }

    private static void respond(HttpExchange exchange, int status, Map<String, String> headers, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static final class HandlerCreationException extends RuntimeException {
        HandlerCreationException(Throwable cause) {
            super(cause);
        }
    }
}
