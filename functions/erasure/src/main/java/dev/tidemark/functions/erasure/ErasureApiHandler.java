package dev.tidemark.functions.erasure;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.config.AwsClients;
import dev.tidemark.config.FunctionRuntime;
import dev.tidemark.erasure.ErasureRequests;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Lambda handler of the erasure API ({@link ErasureApi}): API Gateway's REST proxy integration, payload format 1.0
 * ({@code {"httpMethod", "resource", "pathParameters", "body", "isBase64Encoded", "requestContext": {"identity":
 * {"userArn"}}}} in, {@code {"statusCode", "headers", "body"}} out). Environment: {@code TIDEMARK_ERASURE_STATE_MACHINE_ARN}
 * (the erasure state machine), {@code TIDEMARK_ERASURE_TARGETS} (comma-separated target names a request erases on),
 * {@code TIDEMARK_ERASURE_REQUEST_BUCKET}, {@code TIDEMARK_RECEIPT_BUCKET} and {@code TIDEMARK_ERASURE_KEY_SECRET_ID}.
 * It holds no store secret. The log names the route, the request id and the status, never a body.
 */
public final class ErasureApiHandler implements RequestStreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ErasureApiHandler.class);

    private final FunctionRuntime runtime;
    private final SfnClient sfn;
    private final String stateMachineArn;
    private final List<String> targets;

    /** Lambda's constructor: configuration from the process environment. */
    public ErasureApiHandler() {
        this(System.getenv());
    }

    /**
     * @param env environment variables (the local runtime passes each function's own)
     * @throws ValidationException when the state machine or the targets are not configured
     */
    public ErasureApiHandler(Map<String, String> env) {
        this.runtime = new FunctionRuntime(env);
        this.stateMachineArn = env.get("TIDEMARK_ERASURE_STATE_MACHINE_ARN");
        if (stateMachineArn == null || !stateMachineArn.startsWith("arn:") || !stateMachineArn.contains(":stateMachine:")) {
            throw new ValidationException("TIDEMARK_ERASURE_STATE_MACHINE_ARN: expected the erasure state machine's ARN");
        }
        String names = env.getOrDefault("TIDEMARK_ERASURE_TARGETS", "");
        this.targets = Arrays.stream(names.split(",")).map(String::strip).filter(t -> !t.isEmpty()).toList();
        if (targets.isEmpty() || targets.stream().anyMatch(t -> !t.matches("[A-Za-z0-9._-]{1,64}"))) {
            throw new ValidationException("TIDEMARK_ERASURE_TARGETS: expected comma-separated target names");
        }
        this.sfn = new AwsClients(env).build(SfnClient.builder(), "AWS_ENDPOINT_URL_SFN");
    }

    /** Answers one API request; bad input is a 4xx answer, never a thrown error. */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        ErasureApi.Response response;
        String route = "?";
        try {
            JsonNode event = Json.readEvent(input);
            String method = event.path("httpMethod").asText();
            String resource = event.path("resource").asText();
            route = method + " " + resource;
            String id = event.path("pathParameters").path("id").isTextual() ? event.path("pathParameters").path("id").asText() : null;
            String body = event.path("body").isTextual() ? event.path("body").asText() : null;
            if (body != null && event.path("isBase64Encoded").asBoolean()) {
                body = new String(Base64.getDecoder().decode(body), StandardCharsets.UTF_8);
            }
            String principal = event.path("requestContext").path("identity").path("userArn").isTextual()
                ? event.path("requestContext").path("identity").path("userArn").asText() : null;
            String b = body;
            response = PowertoolsLogging.withLogging(context, () -> new ErasureApi(runtime.erasureRequests(), runtime.erasureReceipts(), runtime.audit(), () -> sfn,
                stateMachineArn, targets).handle(method, resource, id, b, principal));
        } catch (ValidationException e) {
            response = ErasureApi.error(400, e.getMessage(), e.code().name());
        } catch (IOException | IllegalArgumentException e) {
            response = ErasureApi.error(400, "body: not a readable request", "VALIDATION_ERROR");
        } catch (RuntimeException e) {
            LOG.error("erasure API {} failed: {}", route, e.getClass().getName());
            response = ErasureApi.error(500, "internal error", "INTERNAL");
        }
        LOG.info("erasure API {}: {} {}", route, response.status(), response.body().path("status").asText(response.body().path("code").asText()));
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("statusCode", response.status());
        out.putObject("headers").put("Content-Type", "application/json");
        out.put("body", response.body().toString());
        out.put("isBase64Encoded", false);
        Json.MAPPER.writeValue(output, out);
    }
}
