package dev.tidemark.functions.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.audit.AuditTrail;
import dev.tidemark.erasure.ErasureReceipts;
import dev.tidemark.erasure.ErasureRequests;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.RequestConflictException;
import dev.tidemark.error.StoreException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.SfnException;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The erasure API (GDPR Art. 17) behind API Gateway's proxy integration (REST API, payload format 1.0), both routes
 * authorised by AWS_IAM:
 * <ul>
 *   <li>{@code POST /erasures}, body {@code {"requestId"?, "subject": {"type": "user", "id": "42"}, "reason":
 *       "consent-withdrawn", "dryRun"?: false, "rewriteExports"?: false}}: accepts the request ({@link ErasureRequests}; the request id is the
 *       idempotency key) and starts the erasure state machine on every target, execution name
 *       {@code <requestId>_a<attempt>}. Answers 202 {@code {"requestId", "status", "statusUrl"}}; the same body again
 *       answers the same request (200 with its status once it has ended) and never erases twice; another body under the
 *       same id is 409. A request whose last attempt FAILED is started again by the same body (up to
 *       {@value #MAX_ATTEMPTS} attempts).</li>
 *   <li>{@code GET /erasures/{requestId}}: 200 {@code {"requestId", "status": ACCEPTED | IN_PROGRESS | COMPLETED |
 *       FAILED, "dryRun", "subjectType", "reason", "acceptedAt", "attempts", "targets"?, "exports"?, "rewriteExports",
 *       "receipt"?}}; 404 for an unknown id.</li>
 * </ul>
 * Errors answer {@code {"message", "code"}}: 400 bad input (naming the field), 404, 409, 503 (retry: S3 or Step
 * Functions could not be reached), 500. No answer holds the subject id.
 */
final class ErasureApi {

    /** Most attempts of one request. */
    static final int MAX_ATTEMPTS = 9;

    /** An HTTP answer. */
    record Response(int status, JsonNode body) {
    }

    private final ErasureRequests requests;
    private final Supplier<SfnClient> sfn;
    private final String stateMachineArn;
    private final List<String> targets;
    private final ErasureReceipts receipts;
    private final AuditTrail audit;

    ErasureApi(ErasureRequests requests, ErasureReceipts receipts, AuditTrail audit, Supplier<SfnClient> sfn, String stateMachineArn,
               List<String> targets) {
        this.audit = audit;
        this.requests = requests;
        this.sfn = sfn;
        this.stateMachineArn = stateMachineArn;
        this.targets = List.copyOf(targets);
        this.receipts = receipts;
    }

    /**
     * @param method the HTTP method
     * @param resource API Gateway's resource, {@code /erasures} or {@code /erasures/{id}}
     * @param pathId the {@code id} path parameter, or {@code null}
     * @param body the request body, or {@code null}
     * @param principal the caller's IAM ARN, or {@code null}
     * @return the answer
     */
    Response handle(String method, String resource, String pathId, String body, String principal) {
        try {
            if ("/erasures".equals(resource) && "POST".equals(method)) {
                return submit(body, principal);
            }
            if ("/erasures/{id}".equals(resource) && "GET".equals(method)) {
                return status(pathId);
            }
            return error(404, "route: no " + method + " " + resource + "; the erasure API has POST /erasures and GET /erasures/{id}", "NOT_FOUND");
        } catch (RequestConflictException e) {
            return error(409, e);
        } catch (ValidationException e) {
            return error(400, e);
        } catch (ConnectionException e) {
            return error(503, e);
        } catch (TidemarkException e) {
            return error(500, e);
        }
    }

    private Response submit(String body, String principal) {
        ErasureRequests.Submission s = ErasureRequests.parse(body);
        ErasureRequests.Request request = requests.accept(s, targets, principal).request();
        Attempts attempts = attempts(request.requestId());
        String status = status(attempts, request);
        boolean start = attempts.count() == 0 || ("FAILED".equals(status) && attempts.count() < MAX_ATTEMPTS);
        if (start) {
            int attempt = attempts.count() + 1;
            audit.record("erasure-request", "iam " + request.requestedBy(), request.targets(), request.dryRun(), () -> {
                requests.keepSubject(s);
                start(request, attempt);
                return attempt;
            }, n -> Map.of("attempt", (long) n));
            status = "IN_PROGRESS";
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("requestId", request.requestId());
        out.put("status", status);
        out.put("statusUrl", "/erasures/" + request.requestId());
        return new Response(status.equals("COMPLETED") || status.equals("FAILED") ? 200 : 202, out);
    }

    private Response status(String requestId) {
        ErasureRequests.Request request = requests.find(requestId).orElse(null);
        if (request == null) {
            return error(404, "requestId: no erasure request '" + requestId + "'", "NOT_FOUND");
        }
        Attempts attempts = attempts(requestId);
        String status = status(attempts, request);
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("requestId", requestId);
        out.put("status", status);
        out.put("dryRun", request.dryRun());
        out.put("subjectType", request.subjectType());
        out.put("reason", request.reason());
        out.put("acceptedAt", request.acceptedAt().toString());
        out.put("attempts", attempts.count());
        JsonNode output = attempts.output();
        if (output != null && output.path("targets").isArray()) {
            ArrayNode ts = out.putArray("targets");
            for (JsonNode t : output.path("targets")) {
                ObjectNode o = ts.addObject();
                o.put("target", t.path("target").asText());
                boolean failed = t.path("failed").asBoolean();
                o.put("status", failed ? "FAILED" : request.dryRun() ? "COUNTED" : "ERASED");
                if (failed) {
                    o.put("error", t.path("error").asText());
                } else {
                    o.set("items", t.path("result").path("items"));
                    o.set("coverage", t.path("coverage"));
                }
            }
        }
        if (output != null && output.path("bulkExports").path("exports").isArray()) {
            out.set("exports", output.path("bulkExports").path("exports"));
        }
        out.put("rewriteExports", request.rewriteExports());
        if ("COMPLETED".equals(status) && !request.dryRun()) {
            receipts.find(requestId).ifPresent(r -> out.set("receipt", r));
        }
        return new Response(200, out);
    }

    /** The attempts of a request: how many executions it has, and the last one's status and output. */
    private record Attempts(int count, String executionStatus, JsonNode output) {
    }

    static String executionName(String requestId, int attempt) {
        return requestId + "_a" + attempt;
    }

    private String executionArn(String name) {
        return stateMachineArn.replace(":stateMachine:", ":execution:") + ":" + name;
    }

    private Attempts attempts(String requestId) {
        DescribeExecutionResponse last = null;
        int count = 0;
        for (int n = 1; n <= MAX_ATTEMPTS; n++) {
            String arn = executionArn(executionName(requestId, n));
            try {
                last = sfn.get().describeExecution(b -> b.executionArn(arn));
                count = n;
            } catch (ExecutionDoesNotExistException e) {
                break;
            } catch (SfnException e) {
                throw stepFunctions(e, "describing the execution");
            } catch (SdkClientException e) {
                throw new ConnectionException("erasure API: Step Functions cannot be reached", e);
            }
        }
        if (last == null) {
            return new Attempts(0, null, null);
        }
        JsonNode output = null;
        if (last.output() != null) {
            try {
                output = Json.MAPPER.readTree(last.output());
            } catch (IOException e) {
                throw new StoreException("erasure API: the execution's output is not JSON", e);
            }
        }
        return new Attempts(count, last.statusAsString(), output);
    }

    /**
     * ACCEPTED (stored, not started), IN_PROGRESS, COMPLETED or FAILED, from Step Functions' execution status; a request
     * with a receipt is COMPLETED even when its executions are gone (Step Functions keeps them 90 days after they end).
     */
    private String status(Attempts a, ErasureRequests.Request request) {
        if (a.count() == 0) {
            return !request.dryRun() && receipts.find(request.requestId()).isPresent() ? "COMPLETED" : "ACCEPTED";
        }
        return switch (a.executionStatus()) {
            case "RUNNING", "PENDING_REDRIVE" -> "IN_PROGRESS";
            case "SUCCEEDED" -> "COMPLETED".equals(a.output() == null ? null : a.output().path("status").asText()) ? "COMPLETED" : "FAILED";
            default -> "FAILED";
        };
    }

    private void start(ErasureRequests.Request request, int attempt) {
        ObjectNode input = Json.MAPPER.createObjectNode();
        input.put("requestId", request.requestId());
        input.put("dryRun", request.dryRun());
        request.targets().forEach(input.putArray("targets")::add);
        try {
            sfn.get().startExecution(b -> b.stateMachineArn(stateMachineArn).name(executionName(request.requestId(), attempt))
                .input(input.toString()));
        } catch (ExecutionAlreadyExistsException e) {
            // a concurrent call with the same body started this attempt first: one execution, as it should be
        } catch (SfnException e) {
            throw stepFunctions(e, "starting the erasure");
        } catch (SdkClientException e) {
            throw new ConnectionException("erasure API: Step Functions cannot be reached; the request is stored, send it again", e);
        }
    }

    /** Step Functions' errors, retryable by HTTP status (throttling and 5xx), never by message. */
    private static TidemarkException stepFunctions(SfnException e, String doing) {
        String message = "erasure API: " + doing + " failed: HTTP " + e.statusCode();
        return e.statusCode() >= 500 || e.statusCode() == 429 || e.isThrottlingException() ? new ConnectionException(message, e)
            : new StoreException(message, e);
    }

    private static Response error(int status, TidemarkException e) {
        return error(status, e.getMessage(), e.code().name());
    }

    static Response error(int status, String message, String code) {
        return new Response(status, Json.MAPPER.valueToTree(Map.of("message", message, "code", code)));
    }
}
