package dev.tidemark.local;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The local default: the embedded stack, the functions of template.yaml behind the local Lambda endpoint, and the
 * rollout state machine run on an input file. Used by {@link LocalMain} and by the end-to-end tests.
 */
public final class LocalRollout implements AutoCloseable {

    private final Path repo;
    private final LocalStack stack;
    private final LambdaEndpoint endpoint;
    private final SamTemplate template;

    private LocalRollout(Path repo, LocalStack stack, LambdaEndpoint endpoint, SamTemplate template) {
        this.repo = repo;
        this.stack = stack;
        this.endpoint = endpoint;
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
        SamTemplate template = SamTemplate.read(repo.resolve("template.yaml"));
        progress.println("starting the local stack" + (dataDir == null ? "" : " (data in " + repo.relativize(dataDir.toAbsolutePath()) + ")"));
        LocalStack stack = LocalStack.start(dataDir, progress);
        try {
            int files = stack.uploadMigrations(migrations);
            progress.printf("  uploaded %d migration files from %s to s3://%s%n", files, repo.relativize(migrations.toAbsolutePath()),
                LocalStack.BUCKET);
            LambdaEndpoint endpoint = new LambdaEndpoint(template.functions(), id -> {
                java.util.Map<String, String> env = new java.util.LinkedHashMap<>(stack.functionEnvironment(id));
                env.putAll(environmentOverrides);
                return env;
            });
            progress.printf("  serving %s at %s%n", String.join(", ", endpoint.functionNames()), endpoint.url());
            return new LocalRollout(repo, stack, endpoint, template);
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
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
        SamTemplate.StateMachine sm = template.stateMachines().stream().filter(s -> s.logicalId().equals(stateMachine)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("template.yaml has no state machine " + stateMachine));
        out.println("running " + sm.definitionUri() + " on " + repo.relativize(input.toAbsolutePath()));
        return new StateMachineRunner(repo).run(repo.resolve(sm.definitionUri()), StateMachineRunner.substitutions(template, stateMachine), input,
            endpoint.url(), retryIntervalMs, out);
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
        endpoint.close();
        stack.close();
    }
}
