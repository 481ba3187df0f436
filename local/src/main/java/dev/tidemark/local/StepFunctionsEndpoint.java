package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The two Step Functions actions the erasure API calls, {@code StartExecution} and {@code DescribeExecution} (AWS JSON
 * 1.0, {@code X-Amz-Target: AWSStepFunctions.<Action>}), on {@code 127.0.0.1}, each execution run in the background by
 * aws-local-stepfunctions ({@link StateMachineRunner}) as Step Functions runs a standard workflow. As in the service, an
 * execution name is unique per state machine: the same name with the same input while it runs returns that execution,
 * and otherwise is {@code ExecutionAlreadyExists}. Executions live as long as this endpoint.
 */
public final class StepFunctionsEndpoint implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Execution(String arn, String stateMachineArn, String name, String input, double startDate, String status, String output,
                             Double stopDate) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "local-step-functions");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Execution> executions = new ConcurrentHashMap<>();
    private final Runner runner;

    /** Runs a state machine to its end. */
    @FunctionalInterface
    public interface Runner {
        /**
         * @param logicalId the state machine's logical id in template.yaml
         * @param input the input file
         * @param executionArn the execution's ARN
         * @return how it ended
         */
        StateMachineRunner.Execution run(String logicalId, Path input, String executionArn);
    }
    private final Path scratch;

    /**
     * @param runner runs a state machine (by logical id) on an input file to its end
     */
    public StepFunctionsEndpoint(Runner runner) {
        this.runner = runner;
        try {
            this.scratch = Files.createTempDirectory("tidemark-sfn");
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the local Step Functions endpoint", e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** @param logicalId a state machine's logical id in template.yaml @return its local ARN */
    public static String stateMachineArn(String logicalId) {
        return "arn:aws:states:" + LambdaEndpoint.REGION + ":" + LambdaEndpoint.ACCOUNT + ":stateMachine:" + logicalId;
    }

    /** @return the endpoint, e.g. {@code http://127.0.0.1:40200} */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            JsonNode request = JSON.readTree(exchange.getRequestBody().readAllBytes());
            if ("AWSStepFunctions.StartExecution".equals(target)) {
                start(exchange, request);
            } else if ("AWSStepFunctions.DescribeExecution".equals(target)) {
                describe(exchange, request);
            } else {
                error(exchange, "UnknownOperationException", "the local endpoint serves StartExecution and DescribeExecution");
            }
        }
    }

    private void start(HttpExchange exchange, JsonNode request) throws IOException {
        String smArn = request.path("stateMachineArn").asText();
        String name = request.path("name").asText();
        String input = request.path("input").asText("{}");
        int at = smArn.indexOf(":stateMachine:");
        if (at < 0 || name.isEmpty() || name.length() > 80) {
            error(exchange, "InvalidArn", "stateMachineArn or name is invalid");
            return;
        }
        String logicalId = smArn.substring(at + ":stateMachine:".length());
        String arn = smArn.replace(":stateMachine:", ":execution:") + ":" + name;
        Execution fresh = new Execution(arn, smArn, name, input, System.currentTimeMillis() / 1000.0, "RUNNING", null, null);
        Execution existing = executions.putIfAbsent(arn, fresh);
        if (existing != null) {
            if (existing.status().equals("RUNNING") && existing.input().equals(input)) {
                answer(exchange, Map.of("executionArn", arn, "startDate", existing.startDate()));
            } else {
                error(exchange, "ExecutionAlreadyExists", "Execution Already Exists: '" + arn + "'");
            }
            return;
        }
        executor.submit(() -> run(logicalId, fresh));
        answer(exchange, Map.of("executionArn", arn, "startDate", fresh.startDate()));
    }

    private void run(String logicalId, Execution e) {
        String status;
        String output;
        try {
            Path file = Files.createTempFile(scratch, "input", ".json");
            Files.writeString(file, e.input());
            StateMachineRunner.Execution done = runner.run(logicalId, file, e.arn());
            Files.deleteIfExists(file);
            status = done.succeeded() ? "SUCCEEDED" : "FAILED";
            output = done.succeeded() ? done.report().path("output").toString() : null;
        } catch (IOException | RuntimeException ex) {
            status = "FAILED";
            output = null;
        }
        executions.put(e.arn(), new Execution(e.arn(), e.stateMachineArn(), e.name(), e.input(), e.startDate(), status, output,
            System.currentTimeMillis() / 1000.0));
    }

    private void describe(HttpExchange exchange, JsonNode request) throws IOException {
        Execution e = executions.get(request.path("executionArn").asText());
        if (e == null) {
            error(exchange, "ExecutionDoesNotExist", "Execution Does Not Exist: '" + request.path("executionArn").asText() + "'");
            return;
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("executionArn", e.arn());
        out.put("stateMachineArn", e.stateMachineArn());
        out.put("name", e.name());
        out.put("status", e.status());
        out.put("startDate", e.startDate());
        out.put("input", e.input());
        if (e.stopDate() != null) {
            out.put("stopDate", e.stopDate());
        }
        if (e.output() != null) {
            out.put("output", e.output());
        }
        answer(exchange, out);
    }

    private static void answer(HttpExchange exchange, Object body) throws IOException {
        respond(exchange, 200, JSON.writeValueAsBytes(body), null);
    }

    private static void error(HttpExchange exchange, String type, String message) throws IOException {
        respond(exchange, 400, JSON.writeValueAsBytes(Map.of("__type", "com.amazonaws.states#" + type, "message", message)), type);
    }

    private static void respond(HttpExchange exchange, int status, byte[] body, String errorType) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
        if (errorType != null) {
            exchange.getResponseHeaders().set("x-amzn-ErrorType", errorType);
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(body);
        }
    }

    /** Stops serving; running executions are abandoned. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        LocalStack.deleteData(scratch);
    }
}
