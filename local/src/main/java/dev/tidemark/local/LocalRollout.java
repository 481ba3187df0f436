package dev.tidemark.local;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The local default: the embedded stack, the functions of template.yaml behind the local Lambda endpoint, and the
 * rollout state machine run on an input file. Used by {@link LocalMain} and by the end-to-end tests.
 */
public final class LocalRollout implements AutoCloseable {

    /** Logical id of the erasure API's function in template.yaml. */
    public static final String API_FUNCTION = "ErasureApiFunction";

    private final Path repo;
    private final LocalStack stack;
    private final SamTemplate template;
    private LambdaEndpoint endpoint;
    private StepFunctionsEndpoint stepFunctions;
    private ApiEndpoint api;
    private volatile Integer backgroundRetryIntervalMs;

    private LocalRollout(Path repo, LocalStack stack, SamTemplate template) {
        this.repo = repo;
        this.stack = stack;
        this.template = template;
    }

    /**
     * Starts the stack, uploads the migrations and serves the functions.
     *
     * @param repo the repository root
     * @param dataDir data directory of the stores, or {@code null} for throw-away data
     * @param migrations directory laid out like {@code examples/}
     * @param environmentOverrides extra environment for every function (e.g. a shorter lock wait)
     * @param progress where to report progress
     * @return the running setup
     */
    public static LocalRollout start(Path repo, Path dataDir, Path migrations, java.util.Map<String, String> environmentOverrides,
                                     PrintStream progress) {
        return start(repo, dataDir, migrations, environmentOverrides, 0, progress);
    }

    /**
     * As {@link #start(Path, Path, Path, java.util.Map, PrintStream)}, with the erasure API on a chosen port.
     *
     * @param apiPort the erasure API's port on 127.0.0.1 (0: any free one)
     * @return the running setup
     */
    public static LocalRollout start(Path repo, Path dataDir, Path migrations, java.util.Map<String, String> environmentOverrides, int apiPort,
                                     PrintStream progress) {
        SamTemplate template = SamTemplate.read(repo.resolve("template.yaml"));
        progress.println("starting the local stack" + (dataDir == null ? "" : " (data in " + repo.relativize(dataDir.toAbsolutePath()) + ")"));
        LocalStack stack = LocalStack.start(dataDir, progress);
        try {
            int files = stack.uploadMigrations(migrations);
            progress.printf("  uploaded %d migration files from %s to s3://%s%n", files, repo.relativize(migrations.toAbsolutePath()),
                LocalStack.BUCKET);
            LocalRollout local = new LocalRollout(repo, stack, template);
            try {
                // the erasure API starts executions in the background, as Step Functions does; their states go to progress
                local.stepFunctions = new StepFunctionsEndpoint((id, input, arn) -> local.execute(id, input, local.backgroundRetryIntervalMs, arn, progress));
                local.endpoint = new LambdaEndpoint(template.functions(), id -> {
                    java.util.Map<String, String> env = new java.util.LinkedHashMap<>(stack.functionEnvironment(id));
                    env.put("AWS_ENDPOINT_URL_SFN", local.stepFunctions.url());
                    env.put("TIDEMARK_ERASURE_STATE_MACHINE_ARN", StepFunctionsEndpoint.stateMachineArn("ErasureStateMachine"));
                    env.putAll(environmentOverrides);
                    return env;
                });
                progress.printf("  serving %s at %s%n", String.join(", ", local.endpoint.functionNames()), local.endpoint.url());
                local.api = new ApiEndpoint(apiPort, dev.tidemark.servers.S3Server.ACCESS_KEY, dev.tidemark.servers.S3Server.SECRET_KEY,
                    local.endpoint.url(), API_FUNCTION);
                progress.printf("  erasure API (SigV4, service execute-api) at %s/erasures%n", local.api.url());
                return local;
            } catch (RuntimeException e) {
                local.close();
                throw e;
            }
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    /** @return the erasure API's base URL */
    public String apiUrl() {
        return api.url();
    }

    /** @param ms every Retry of an execution the erasure API starts waits this long ({@code null}: as the definition says) */
    public void backgroundRetryInterval(Integer ms) {
        this.backgroundRetryIntervalMs = ms;
    }

    /**
     * Runs {@code statemachines/rollout.asl.json}.
     *
     * @param input the rollout input file
     * @param retryIntervalMs override of Retry intervals, or {@code null}
     * @param out where states and the result are printed
     * @return how it ended
     */
    public StateMachineRunner.Execution rollout(Path input, Integer retryIntervalMs, PrintStream out) {
        return execute("RolloutStateMachine", input, retryIntervalMs, out);
    }

    /**
     * Runs one of template.yaml's state machines.
     *
     * @param stateMachine its logical id, e.g. {@code BulkExportStateMachine}
     * @param input the input file
     * @param retryIntervalMs override of Retry intervals, or {@code null}
     * @param out where states and the result are printed
     * @return how it ended
     * @throws IllegalArgumentException when the template has no such state machine
     */
    public StateMachineRunner.Execution execute(String stateMachine, Path input, Integer retryIntervalMs, PrintStream out) {
        return execute(stateMachine, input, retryIntervalMs, StepFunctionsEndpoint.stateMachineArn(stateMachine).replace(":stateMachine:", ":execution:")
            + ":" + java.util.UUID.randomUUID(), out);
    }

    /**
     * As {@link #execute(String, Path, Integer, PrintStream)}, under a given execution ARN.
     *
     * @param executionArn the execution's ARN ({@code $$.Execution.Id})
     * @return how it ended
     */
    public StateMachineRunner.Execution execute(String stateMachine, Path input, Integer retryIntervalMs, String executionArn, PrintStream out) {
        SamTemplate.StateMachine sm = template.stateMachines().stream().filter(s -> s.logicalId().equals(stateMachine)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("template.yaml has no state machine " + stateMachine));
        out.println("running " + sm.definitionUri() + " on " + repo.relativize(input.toAbsolutePath()));
        return new StateMachineRunner(repo).run(repo.resolve(sm.definitionUri()), StateMachineRunner.substitutions(template, stateMachine), input,
            endpoint.url(), retryIntervalMs, executionArn, out);
    }

    /**
     * @param start a directory inside the repository
     * @return the repository root: the nearest directory holding {@code template.yaml} and {@code statemachines/}
     */
    public static Path findRepo(Path start) {
        Path dir = start.toAbsolutePath();
        while (dir != null) {
            if (java.nio.file.Files.isRegularFile(dir.resolve("template.yaml")) && java.nio.file.Files.isDirectory(dir.resolve("statemachines"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("no repository (template.yaml, statemachines/) above " + start.toAbsolutePath());
    }

    /** @return the stack */
    public LocalStack stack() {
        return stack;
    }

    /** @return the Lambda endpoint */
    public LambdaEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[] {api, endpoint, stepFunctions}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("stopping " + c.getClass().getSimpleName() + " failed: " + e.getMessage());
                }
            }
        }
        stack.close();
    }
}
