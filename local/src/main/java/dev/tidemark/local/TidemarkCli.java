package dev.tidemark.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.functions.rollback.RollbackHandler;
import dev.tidemark.functions.upgrade.UpgradeHandler;
import dev.tidemark.json.Json;
import dev.tidemark.lint.Finding;
import dev.tidemark.lint.LintReport;
import dev.tidemark.lint.Linter;
import dev.tidemark.location.Location;
import dev.tidemark.location.LocationReader;
import dev.tidemark.location.ScriptFile;
import dev.tidemark.migration.MigrationResolver;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.Store;
import dev.tidemark.report.MigrationReport;
import dev.tidemark.reversibility.ReversibilityCheck;
import dev.tidemark.reversibility.ReversibilityReport;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bin/tidemark}: the pipeline and operator commands. {@code lint}, {@code check-reversibility} and
 * {@code report} read a migration directory laid out like {@code examples/} ({@code postgres/}, {@code mongodb/},
 * {@code elasticsearch/}); the reversibility check runs on scratch servers started for it (empty, deleted afterwards).
 * {@code rollback} and {@code repair} run the real function handlers on an event against the local stack (the data
 * kept by {@code bin/local-rollout}). Exit codes: 0 fine, 1 findings or failure, 2 could not run.
 */
@Command(name = "tidemark", mixinStandardHelpOptions = true, subcommands = {
    TidemarkCli.Lint.class, TidemarkCli.CheckReversibility.class, TidemarkCli.Report.class, TidemarkCli.Rollback.class,
    TidemarkCli.Repair.class},
    description = "Lint, reversibility check, per-migration report, rollback and repair.")
public final class TidemarkCli {

    TidemarkCli() {
    }

    /** @param args command-line arguments; see {@code --help} */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** @return the command line; a command that cannot run (bad input, e.g. a malformed approval marker) exits 2 */
    static CommandLine commandLine() {
        return new CommandLine(new TidemarkCli()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            System.out.println(cmd.getCommandName() + " could not run: " + e.getMessage());
            return 2;
        });
    }

    /**
     * The caller's working directory: {@code bin/tidemark} changes to the repository before it starts Java, and passes
     * where it was called from as {@code tidemark.cwd}, so relative paths mean what the caller meant.
     */
    static Path callerDirectory() {
        return Path.of(System.getProperty("tidemark.cwd", "")).toAbsolutePath();
    }

    /** Options shared by the commands that read a migration directory. */
    static class MigrationOptions {
        @Option(names = "--migrations", description = "Migrations laid out like examples/ (a folder per store), or one store's flat folder "
            + "with --store (default: examples). Relative to the current directory.")
        Path migrations;

        @Option(names = "--store", description = "Only this store: postgres, mongodb or elasticsearch (default: every store present).")
        String store;

        @Option(names = "--json", description = "Print JSON instead of text.")
        boolean json;

        Path dir() {
            return migrations == null ? LocalRollout.findRepo(callerDirectory()).resolve("examples").toAbsolutePath()
                : callerDirectory().resolve(migrations).normalize();
        }

        /**
         * @return each selected store's migration folder: {@code <dir>/<store>}, or {@code <dir>} itself when it is a flat
         *         folder and {@code --store} names its store
         * @throws ValidationException naming {@code --migrations} or {@code --store} when the folder does not exist, holds
         *                             no folder of any store, or a selected store has no migration there (exit 2)
         */
        Map<Store, Path> folders() {
            Path dir = dir();
            if (!Files.isDirectory(dir)) {
                throw new ValidationException("--migrations: no such directory: " + dir);
            }
            Store only;
            try {
                only = store == null ? null : Store.of(store);
            } catch (ValidationException e) {
                throw new ValidationException("--store: '" + store + "' is not one of postgres, mongodb, elasticsearch");
            }
            Map<Store, Path> out = new LinkedHashMap<>();
            for (Store s : Store.values()) {
                if ((only == null || only == s) && Files.isDirectory(dir.resolve(s.id()))) {
                    out.put(s, dir.resolve(s.id()));
                }
            }
            if (out.isEmpty() && only != null) {
                out.put(only, dir); // a flat folder, Flyway style
            }
            if (out.isEmpty()) {
                throw new ValidationException("--migrations: " + dir + " holds no postgres/, mongodb/ or elasticsearch/ folder; for a flat folder "
                    + "of one store's migrations, name the store with --store");
            }
            return out;
        }

        /** @return each selected store's versioned and undo migrations, read once */
        Map<Store, EngineFactory.Migrations> migrations() {
            LocationReader reader = new LocationReader(() -> {
                throw new IllegalStateException("S3 is not read by the local commands");
            });
            Map<Store, EngineFactory.Migrations> out = new LinkedHashMap<>();
            for (Map.Entry<Store, Path> f : folders().entrySet()) {
                Store s = f.getKey();
                // the store's migrations, and beside them its erasure plan and its lint approvals
                List<ScriptFile> files = reader.read(Location.parse("filesystem:" + f.getValue()), name -> name.endsWith("." + s.extension())
                    || name.equals(dev.tidemark.erasure.ErasurePlan.FILE) || name.equals(dev.tidemark.lint.LintApprovals.FILE));
                EngineFactory.Migrations m = EngineFactory.Migrations.of(s, files);
                if (m.versioned().isEmpty()) {
                    throw new ValidationException("--migrations: " + f.getValue() + " holds no " + s.id() + " migration (V<version>__<description>."
                        + s.extension() + ")");
                }
                out.put(s, m);
            }
            return out;
        }

        /** @return e.g. {@code postgres 14, mongodb 10}: files read per store (versioned and undo) */
        static String filesRead(Map<Store, EngineFactory.Migrations> sets) {
            List<String> parts = new ArrayList<>();
            sets.forEach((s, m) -> parts.add(s.id() + " " + (m.versioned().size() + m.undo().size())));
            return String.join(", ", parts);
        }
    }

    /**
     * The last line of every command that reads migrations, so a pipeline never mistakes silence for a pass:
     * {@code lint: read postgres 14, mongodb 10 file(s); 3 finding(s), 0 blocking; exit 0}. With {@code --json} it goes to
     * standard error, so standard output stays one JSON document.
     */
    static void summary(String command, Map<Store, EngineFactory.Migrations> sets, String outcome, int exit, boolean json) {
        String line = command + ": read " + MigrationOptions.filesRead(sets) + " file(s); " + outcome + "; exit " + exit;
        if (json) {
            System.out.flush();
            System.err.println(line);
        } else {
            System.out.println(line);
        }
    }

    @Command(name = "lint", mixinStandardHelpOptions = true,
        description = "Lint migrations (rules: README, 'Lint'). Exit 1 when an error-level finding has no approval marker.")
    static final class Lint implements Callable<Integer> {
        @CommandLine.Mixin
        MigrationOptions options = new MigrationOptions();

        @Option(names = "--baseline", description = "'current': write each store's lint-approvals.json with today's newest version as the "
            + "baseline (its findings and older ones are reported and never block), keeping the approvals it holds.")
        String baseline;

        @Override
        public Integer call() throws IOException {
            if (baseline != null && !baseline.equals("current")) {
                throw new ValidationException("--baseline: expected 'current'");
            }
            List<LintReport> reports = new ArrayList<>();
            Map<Store, EngineFactory.Migrations> sets = options.migrations();
            if (baseline != null) {
                Map<Store, Path> folders = options.folders();
                for (Map.Entry<Store, EngineFactory.Migrations> e : sets.entrySet()) {
                    var newest = e.getValue().versioned().getLast().version();
                    Path file = folders.get(e.getKey()).resolve(dev.tidemark.lint.LintApprovals.FILE);
                    Files.writeString(file, dev.tidemark.lint.LintApprovals.parse(e.getValue().lintApprovals()).withBaseline(newest));
                    (options.json ? System.err : System.out).printf("%s: baseline %s written to %s%n", e.getKey().id(), newest, file);
                }
                sets = options.migrations();
            }
            sets.forEach((s, m) -> reports.add(Linter.lint(s, m.versioned(), m.undo(), List.of(), m.erasurePlan(),
                dev.tidemark.lint.LintApprovals.parse(m.lintApprovals()))));
            long blocking = reports.stream().mapToLong(r -> r.blocking().size()).sum();
            if (options.json) {
                System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(reports));
            } else {
                for (LintReport r : reports) {
                    for (Finding f : r.findings()) {
                        System.out.printf("%-7s %s %s/%s:%d %s%n        %s%n", f.severity(), f.rule(), r.store().id(), f.file(), f.line(), f.message(),
                            f.approval() == null ? "fix: " + f.fix() : "approved: " + f.approval());
                    }
                    System.out.printf("%s: %d file(s), %d finding(s), %d blocking%n", r.store().id(), r.filesChecked(), r.findings().size(),
                        r.blocking().size());
                }
            }
            int exit = blocking == 0 ? 0 : 1;
            summary("lint", sets, reports.stream().mapToLong(r -> r.findings().size()).sum() + " finding(s), " + blocking + " blocking", exit, options.json);
            return exit;
        }
    }

    /** Runs the reversibility check of each store on scratch servers started here. */
    static Map<Store, ReversibilityReport> reversibility(Map<Store, EngineFactory.Migrations> sets) throws IOException {
        Map<Store, ReversibilityReport> reports = new LinkedHashMap<>();
        Path scratch = Files.createTempDirectory("tidemark-scratch");
        PrintStream out = System.out;
        PrintStream quiet = new PrintStream(new FileOutputStream(scratch.resolve("servers.log").toFile()), true, StandardCharsets.UTF_8);
        try {
            for (Map.Entry<Store, EngineFactory.Migrations> set : sets.entrySet()) {
                Store s = set.getKey();
                List<MigrationScript> versioned = set.getValue().versioned();
                List<MigrationScript> undo = set.getValue().undo();
                System.setOut(quiet);
                try {
                    reports.put(s, switch (s) {
                        case POSTGRES -> {
                            try (PostgresServer pg = PostgresServer.start(scratch.resolve("postgres"))) {
                                pg.createDatabase("scratch");
                                yield ReversibilityCheck.onPostgres(new ConnectionSecrets.Postgres("127.0.0.1", pg.port(), "scratch", "postgres",
                                    "postgres"), versioned, undo);
                            }
                        }
                        case MONGODB -> {
                            try (MongoServer mongo = MongoServer.start(null)) {
                                yield ReversibilityCheck.onMongo(mongo.uri(), "scratch", versioned, undo);
                            }
                        }
                        case ELASTICSEARCH -> {
                            try (ElasticsearchServer es = ElasticsearchServer.start(scratch.resolve("elasticsearch"))) {
                                yield ReversibilityCheck.onElasticsearch(es.url(), versioned, undo);
                            }
                        }
                    });
                } finally {
                    System.setOut(out);
                }
            }
        } finally {
            LocalStack.deleteData(scratch);
        }
        return reports;
    }

    @Command(name = "check-reversibility", mixinStandardHelpOptions = true,
        description = "Migrate version by version, undo step by step comparing schema snapshots, migrate again, on scratch servers. "
            + "Exit 1 when a version's undo does not restore the schema, or a forward migration loses data by what it does to the schema.")
    static final class CheckReversibility implements Callable<Integer> {
        @CommandLine.Mixin
        MigrationOptions options = new MigrationOptions();

        @Override
        public Integer call() throws IOException {
            Map<Store, EngineFactory.Migrations> sets = options.migrations();
            Map<Store, ReversibilityReport> reports = reversibility(sets);
            if (options.json) {
                System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(reports.values()));
            } else {
                for (ReversibilityReport r : reports.values()) {
                    for (ReversibilityReport.VersionCheck v : r.versions()) {
                        System.out.printf("%-13s %-6s %-14s %s%s%n", r.store().id(), v.version(), v.outcome(), v.script(),
                            v.error() == null ? "" : " — " + v.error());
                        v.differences().forEach(d -> System.out.println("                     " + d));
                        v.dataLoss().forEach(f -> System.out.println("                     " + f.rule() + " " + f.message()
                            + (f.approval() == null ? " (fix: " + f.fix() + ")" : " (approved: " + f.approval() + ")")));
                    }
                    System.out.printf("%s: %s; re-migration %s (%d ms)%n", r.store().id(), r.firstIrreversible() == null
                        ? "every undo restores the schema" : "first irreversible version " + r.firstIrreversible(),
                        r.reapplied() ? "gives the same schema" : "differs: " + r.reapplyDifferences(), r.executionTimeMs());
                }
            }
            long dataLoss = reports.values().stream().mapToLong(r -> r.blockingDataLoss().size()).sum();
            int exit = reports.values().stream().allMatch(ReversibilityReport::reversible) && dataLoss == 0 ? 0 : 1;
            summary("check-reversibility", sets, reports.values().stream().filter(r -> !r.reversible()).count() + " store(s) with an undo that "
                + "does not restore the schema, " + dataLoss + " unapproved data loss(es) in the schema", exit, options.json);
            return exit;
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write the per-migration document (changes, data-loss risk, reversibility, how it was tested, rollback plan) "
            + "as <out>/<store>.md and <out>/<store>.json, from the lint and the reversibility check.")
    static final class Report implements Callable<Integer> {
        @CommandLine.Mixin
        MigrationOptions options = new MigrationOptions();

        @Option(names = "--out", description = "Output directory, relative to the current directory (default: target/migration-report).")
        Path out = Path.of("target/migration-report");

        @Override
        public Integer call() throws IOException {
            Map<Store, EngineFactory.Migrations> sets = options.migrations();
            Map<Store, ReversibilityReport> checks = reversibility(sets);
            Path out = callerDirectory().resolve(this.out).normalize();
            Files.createDirectories(out);
            for (Map.Entry<Store, ReversibilityReport> e : checks.entrySet()) {
                Store s = e.getKey();
                List<MigrationScript> versioned = sets.get(s).versioned();
                List<MigrationScript> undo = sets.get(s).undo();
                MigrationReport report = MigrationReport.of(s, versioned, undo, Linter.lint(s, versioned, undo, List.of(), sets.get(s).erasurePlan(),
                    dev.tidemark.lint.LintApprovals.parse(sets.get(s).lintApprovals())), e.getValue());
                Files.writeString(out.resolve(s.id() + ".md"), report.toMarkdown());
                Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.resolve(s.id() + ".json").toFile(), report);
                System.out.println("wrote " + out.resolve(s.id() + ".md") + " and .json (" + report.migrations().size() + " migration(s))");
            }
            summary("report", sets, checks.size() * 2 + " file(s) written to " + out, 0, false);
            return 0;
        }
    }

    /** Options of the commands that run a function handler on the local stack. */
    static class StackOptions {
        @Option(names = "--event", required = true, description = "The function's event (e.g. events/rollback.json).")
        Path event;

        @Option(names = "--data", description = "The local stack's data (default: .tidemark-local).")
        Path data;

        int invoke(String function, java.util.function.Function<Map<String, String>, RequestStreamHandler> handler) throws IOException {
            Path root = LocalRollout.findRepo(Path.of("").toAbsolutePath());
            Path dataDir = (data == null ? root.resolve(".tidemark-local") : data).toAbsolutePath();
            byte[] input = Files.readAllBytes(event);
            PrintStream console = System.out;
            Files.createDirectories(dataDir.resolve("logs"));
            PrintStream log = new PrintStream(new FileOutputStream(dataDir.resolve("logs/functions.log").toFile(), true), true, StandardCharsets.UTF_8);
            System.setOut(log);
            try (LocalStack stack = LocalStack.start(dataDir, log)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                handler.apply(stack.functionEnvironment(function)).handleRequest(new ByteArrayInputStream(input), out, new LocalContext(function, 900, 1024));
                JsonNode result = Json.MAPPER.readTree(out.toByteArray());
                console.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(result));
                return 0;
            } catch (TidemarkException e) {
                console.println(e.getClass().getName() + " (" + e.code() + "): " + e.getMessage());
                return 1;
            } finally {
                System.setOut(console);
            }
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Run the rollback function on an event (events/rollback.json, events/rollback-dry-run.json) against the local stack.")
    static final class Rollback implements Callable<Integer> {
        @CommandLine.Mixin
        StackOptions options = new StackOptions();

        @Override
        public Integer call() throws IOException {
            return options.invoke("RollbackFunction", RollbackHandler::new);
        }
    }

    @Command(name = "repair", mixinStandardHelpOptions = true,
        description = "Run the upgrade function's repair operation on an event (events/repair.json) against the local stack.")
    static final class Repair implements Callable<Integer> {
        @CommandLine.Mixin
        StackOptions options = new StackOptions();

        @Override
        public Integer call() throws IOException {
            return options.invoke("UpgradeFunction", UpgradeHandler::new);
        }
    }
}
