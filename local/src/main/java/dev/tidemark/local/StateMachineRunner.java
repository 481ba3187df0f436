package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an ASL definition with aws-local-stepfunctions ({@code local/run-state-machine.mjs} on the Node 22 that the
 * npm package {@code node@22} installs under {@code local/node_modules}); its Lambda Tasks go to a
 * {@link LambdaEndpoint} through {@code AWS_ENDPOINT_URL_LAMBDA}. The runner's lines (each state entered and left,
 * with durations, then the final output) are copied to a print stream as they come.
 */
public final class StateMachineRunner {

    /**
     * The end of an execution.
     *
     * @param succeeded whether it succeeded
     * @param report {@code {status, durationMs, output}} or {@code {status, durationMs, error, cause}}
     * @param transcript the runner's printed lines
     */
    public record Execution(boolean succeeded, JsonNode report, List<String> transcript) {
    }

    private final Path repo;

    /** @param repo the repository root */
    public StateMachineRunner(Path repo) {
        this.repo = repo;
    }

    /**
     * @param definition the ASL file
     * @param substitutions DefinitionSubstitutions values
     * @param input the input file
     * @param lambdaEndpoint the Lambda endpoint URL
     * @param retryIntervalMs when not {@code null}, every Retry waits this long instead of its IntervalSeconds
     * @param out where the runner's lines are copied
     * @return how it ended
     */
    public Execution run(Path definition, Map<String, String> substitutions, Path input, String lambdaEndpoint, Integer retryIntervalMs,
                         PrintStream out) {
        return run(definition, substitutions, input, lambdaEndpoint, retryIntervalMs, null, out);
    }

    /**
     * As {@link #run(Path, Map, Path, String, Integer, PrintStream)}, naming the execution.
     *
     * @param executionArn the execution's ARN ({@code $$.Execution.Id} in the context object), or {@code null}
     * @return how it ended
     */
    public Execution run(Path definition, Map<String, String> substitutions, Path input, String lambdaEndpoint, Integer retryIntervalMs,
                         String executionArn, PrintStream out) {
        Path node = repo.resolve("local/node_modules/node/bin/node");
        if (!Files.isExecutable(node)) {
            throw new IllegalStateException("Node 22 not found at " + node + ": run bin/setup");
        }
        try {
            Path report = Files.createTempFile("tidemark-execution", ".json");
            List<String> command = new ArrayList<>(List.of(node.toString(), repo.resolve("local/run-state-machine.mjs").toString(),
                "--definition", definition.toString(), "--input", input.toString(),
                "--substitutions", new ObjectMapper().writeValueAsString(substitutions), "--output", report.toString()));
            if (retryIntervalMs != null) {
                command.add("--retry-interval-ms");
                command.add(retryIntervalMs.toString());
            }
            if (executionArn != null) {
                command.add("--execution-arn");
                command.add(executionArn);
            }
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.put("AWS_ENDPOINT_URL_LAMBDA", lambdaEndpoint);
            env.put("AWS_REGION", LambdaEndpoint.REGION);
            env.put("AWS_ACCESS_KEY_ID", "local");
            env.put("AWS_SECRET_ACCESS_KEY", "local");
            env.remove("AWS_PROFILE");
            Process process = pb.start();
            List<String> transcript = new ArrayList<>();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    transcript.add(line);
                    out.println(line);
                }
            }
            int status = process.waitFor();
            JsonNode json = Files.size(report) == 0 ? new ObjectMapper().createObjectNode() : new ObjectMapper().readTree(report.toFile());
            Files.deleteIfExists(report);
            if (status == 2) {
                throw new IllegalStateException("state machine runner refused its arguments: " + String.join("\n", transcript));
            }
            return new Execution(status == 0, json, transcript);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * @param template the SAM template
     * @param stateMachine the state machine's logical id
     * @return its DefinitionSubstitutions resolved to local function ARNs (alias {@code live})
     */
    public static Map<String, String> substitutions(SamTemplate template, String stateMachine) {
        SamTemplate.StateMachine sm = template.stateMachines().stream().filter(s -> s.logicalId().equals(stateMachine)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no state machine " + stateMachine + " in template.yaml"));
        Map<String, String> out = new LinkedHashMap<>();
        sm.substitutions().forEach((k, fn) -> out.put(k, LambdaEndpoint.arn(fn) + ":live"));
        return out;
    }
}
