package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bin/local-rollout}: runs the rollout state machine locally on the embedded stack, the same code path a
 * pipeline uses in AWS with the servers swapped. Prints each server as it starts, each state as it is entered and
 * left, and the final JSON; exits 0 when the execution succeeded, 1 when it failed, 2 when it could not run. Function logs (JSON, as in
 * CloudWatch) go to {@code <data>/logs/functions.log}.
 */
@Command(name = "local-rollout", mixinStandardHelpOptions = true,
    description = "Run statemachines/rollout.asl.json locally against embedded PostgreSQL, MongoDB, Elasticsearch, S3 and Secrets Manager.")
public final class LocalMain implements Callable<Integer> {

    @Option(names = "--fresh", description = "Delete the local data first (start from empty stores).")
    boolean fresh;

    @Option(names = "--event", description = "Execution input (default: events/rollout.json).")
    Path event;

    @Option(names = "--state-machine", description = "Which state machine to run: rollout (default), bulk-export, bulk-import or erasure.")
    String stateMachine = "rollout";

    @Option(names = "--migrations", description = "Migrations laid out like examples/ (default: examples).")
    Path migrations;

    @Option(names = "--data", description = "Where the stores keep their data between runs (default: .tidemark-local).")
    Path data;

    @Option(names = "--serve", description = "After the run, keep the stack and the erasure API up until interrupted (Ctrl-C).")
    boolean serve;

    @Option(names = "--api-port", description = "Port of the local erasure API on 127.0.0.1 (default: 4010).")
    int apiPort = 4010;

    @Option(names = "--repo", description = "Repository root (default: the current directory).", hidden = true)
    Path repo = Path.of("");

    private final PrintStream console;

    LocalMain(PrintStream console) {
        this.console = console;
    }

    /** @param args command-line arguments; see {@code --help} */
    public static void main(String[] args) {
        PrintStream console = System.out;
        int code = new CommandLine(new LocalMain(console)).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws IOException {
        Path root = LocalRollout.findRepo(repo.toAbsolutePath().normalize());
        Path eventFile = event == null ? root.resolve("erasure".equals(stateMachine) ? "events/erasure-request.json" : "events/rollout.json")
            : event.toAbsolutePath();
        Path migrationsDir = migrations == null ? root.resolve("examples") : migrations.toAbsolutePath();
        if (!Files.isRegularFile(eventFile)) {
            console.println("--event: no such file: " + eventFile);
            return 2;
        }
        if (!Files.isDirectory(migrationsDir)) {
            console.println("--migrations: no such directory: " + migrationsDir);
            return 2;
        }
        String logicalId = switch (stateMachine) {
            case "rollout" -> "RolloutStateMachine";
            case "bulk-export" -> "BulkExportStateMachine";
            case "bulk-import" -> "BulkImportStateMachine";
            case "erasure" -> "ErasureStateMachine";
            default -> null;
        };
        if (logicalId == null) {
            console.println("--state-machine: '" + stateMachine + "' is not one of rollout, bulk-export, bulk-import, erasure");
            return 2;
        }
        Path dataDir = (data == null ? root.resolve(".tidemark-local") : data).toAbsolutePath();
        if (fresh) {
            LocalStack.deleteData(dataDir);
            console.println("deleted " + root.relativize(dataDir));
        }
        Files.createDirectories(dataDir.resolve("logs"));
        Path log = dataDir.resolve("logs/functions.log");
        PrintStream logStream = new PrintStream(new FileOutputStream(log.toFile(), true), true, StandardCharsets.UTF_8);
        System.setOut(logStream);
        System.setErr(logStream);
        long t0 = System.nanoTime();
        try (LocalRollout rollout = LocalRollout.start(root, dataDir, migrationsDir, Map.of(), apiPort, console)) {
            if (logicalId.equals("ErasureStateMachine")) {
                int code = erasure(rollout, eventFile, t0, root.relativize(log));
                serve(rollout);
                return code;
            }
            StateMachineRunner.Execution execution = rollout.execute(logicalId, eventFile, null, console);
            if (!logicalId.equals("RolloutStateMachine")) {
                var result = execution.report().path("output").path("result");
                console.printf("  %s %s: %d part(s), %d record(s), %s%n", result.path("operation").asText(), result.path("location").asText(),
                    result.path("partsDone").asInt(), result.path("totalRecords").asLong(), result.path("phase").asText());
            }
            if (!logicalId.equals("RolloutStateMachine")) {
                // an erasure request whose targets did not all erase is FAILED even though its execution succeeded
                boolean ok = execution.succeeded() && !"FAILED".equals(execution.report().path("output").path("status").asText());
                console.printf("%s in %d ms (function logs: %s)%n", ok ? stateMachine + " succeeded" : stateMachine + " FAILED",
                    (System.nanoTime() - t0) / 1_000_000, root.relativize(log));
                serve(rollout);
                return ok ? 0 : 1;
            }
            for (var t : execution.report().path("output").path("targets")) {
                console.printf("  %-14s %-10s %s -> %s: %s, %d migration(s) applied%n", t.path("store").asText(), t.path("target").asText(),
                    t.path("versionBefore").asText("(empty)"), t.path("versionAfter").asText("(empty)"), t.path("status").asText(),
                    t.path("status").asText().equals("DRY_RUN") ? 0 : t.path("migrations").size());
                JsonNode phase = t.path("phase");
                if (phase.path("contractPending").size() > 0) {
                    console.printf("  %-14s %-10s contract phase pending: %s%n", "", "", String.join(", ",
                        phase.path("contractPending").valueStream().map(JsonNode::asText).toList()));
                }
                if (phase.path("irreversible").size() > 0) {
                    console.printf("  %-14s %-10s contract migrations applied (an undo restores their schema, not their data): %s%n", "", "",
                        String.join(", ", phase.path("irreversible").valueStream().map(JsonNode::asText).toList()));
                }
            }
            if (execution.succeeded() && "expand".equals(execution.report().path("output").path("phase").asText())) {
                console.println("expand phase done: deploy the application, then run the contract phase (--event events/rollout-contract.json)");
            }
            console.printf("%s in %d ms (function logs: %s)%n", execution.succeeded() ? "rollout succeeded" : "rollout FAILED",
                (System.nanoTime() - t0) / 1_000_000, root.relativize(log));
            if (execution.succeeded() && migrationsDir.equals(root.resolve("examples")) && ExampleSeed.load(rollout.stack(), root.resolve("examples/seed"))) {
                console.println("loaded the example data of examples/seed/ (users 1 to 5 in every store)");
            }
            serve(rollout);
            return execution.succeeded() ? 0 : 1;
        } catch (RuntimeException e) {
            console.println("local rollout could not run: " + e.getMessage());
            e.printStackTrace(logStream);
            return 2;
        } finally {
            console.println("stopped the local stack");
        }
    }

    /** Submits an erasure request (an API body) through the local erasure API, signed, and waits for its end. */
    private int erasure(LocalRollout rollout, Path eventFile, long t0, Path log) throws IOException {
        ApiClient api = new ApiClient(rollout.apiUrl(), dev.tidemark.servers.S3Server.ACCESS_KEY, dev.tidemark.servers.S3Server.SECRET_KEY);
        ApiClient.Answer submitted = api.send("POST", "/erasures", Files.readString(eventFile));
        console.printf("POST /erasures: %d %s%n", submitted.status(), submitted.body());
        if (submitted.status() >= 300) {
            return 1;
        }
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        String id = mapper.readTree(submitted.body()).path("requestId").asText();
        com.fasterxml.jackson.databind.JsonNode status = mapper.createObjectNode();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(15);
        while (System.nanoTime() < deadline) {
            status = mapper.readTree(api.send("GET", "/erasures/" + id, null).body());
            String s = status.path("status").asText();
            if (s.equals("COMPLETED") || s.equals("FAILED")) {
                break;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (var t : status.path("targets")) {
            long erased = 0;
            long remaining = 0;
            for (var i : t.path("items")) {
                erased += i.path("erased").asLong() + i.path("anonymised").asLong();
                remaining += i.path("remaining").asLong();
            }
            console.printf("  %-10s %s%n", t.path("target").asText(), t.path("status").asText().equals("FAILED") ? "FAILED: " + t.path("error").asText()
                : (status.path("dryRun").asBoolean() ? remaining + " to erase (dry run)" : erased + " erased or anonymised, " + remaining
                + " left") + ", " + t.path("coverage").size() + " coverage finding(s)");
        }
        boolean ok = status.path("status").asText().equals("COMPLETED");
        console.printf("  request %s: %s%s%n", id, status.path("status").asText(), status.has("receipt")
            ? ", receipt s3://" + LocalStack.RECEIPT_BUCKET + "/receipts/" + id + ".json" : "");
        console.printf("%s in %d ms (function logs: %s)%n", ok ? "erasure succeeded" : "erasure FAILED", (System.nanoTime() - t0) / 1_000_000, log);
        return ok ? 0 : 1;
    }

    /** With {@code --serve}: prints how to call the erasure API and waits until interrupted. */
    private void serve(LocalRollout rollout) {
        if (!serve) {
            return;
        }
        console.printf("""
            serving the erasure API at %s/erasures until interrupted (Ctrl-C); sign requests with the local credentials:
              export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s
            %n""", rollout.apiUrl(), dev.tidemark.servers.S3Server.ACCESS_KEY, dev.tidemark.servers.S3Server.SECRET_KEY);
        // Ctrl-C ends the JVM here: the hook stops everything the run started
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            rollout.close();
            console.println("stopped the local stack");
        }));
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
