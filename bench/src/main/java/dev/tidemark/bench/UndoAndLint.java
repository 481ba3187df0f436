package dev.tidemark.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.ElasticEngine;
import dev.tidemark.elastic.HttpRequestSpec;
import dev.tidemark.elastic.HttpScriptParser;
import dev.tidemark.migration.Checksums;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.TargetVersion;
import dev.tidemark.mongo.MongoEngine;
import dev.tidemark.postgres.PostgresEngine;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import org.bson.BsonDocument;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import dev.tidemark.lint.LintReport;
import dev.tidemark.lint.Linter;
import dev.tidemark.migration.Store;
import dev.tidemark.postgres.SqlStatements;

/**
 * Undo of N migrations per store (Tidemark's undo to 0, with its plan, lock and history records) side by side with a
 * bare loop sending the same undo statements, and the lint of M files per store side by side with only splitting or
 * parsing them (what the lint adds: SQL parsing and the rules). Prints milliseconds and ratios.
 */
public final class UndoAndLint {

    private UndoAndLint() {
    }

    private static List<MigrationScript> scripts(String prefix, int n, String ext, IntFunction<String> content) {
        List<MigrationScript> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String c = content.apply(i);
            out.add(new MigrationScript(MigrationVersion.parse(Integer.toString(i)), "bench " + i, prefix + i + "__bench." + ext, c, Checksums.of(c)));
        }
        return out;
    }

    private static long ms(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void row(String what, String store, int n, long tidemark, long bare) {
        System.out.printf("%-6s %-14s %5d %12d %10d %8.2fx%n", what, store, n, tidemark, bare, (double) tidemark / Math.max(1, bare));
    }

    /** @param args optional: undo count (default 50), lint file count (default 200) */
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int files = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        System.out.printf("%-6s %-14s %5s %12s %10s %9s%n", "what", "store", "N", "tidemark ms", "bare ms", "ratio");
        try (PostgresServer pg = PostgresServer.start(null)) {
            pg.createDatabase("bench_tidemark");
            pg.createDatabase("bench_bare");
            IntFunction<String> create = i -> "CREATE TABLE t_" + i + " (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());";
            List<MigrationScript> v = scripts("V", n, "sql", create);
            List<MigrationScript> u = scripts("U", n, "sql", i -> "DROP TABLE t_" + i + ";");
            try (MigrationEngine e = new PostgresEngine("bench", new ConnectionSecrets.Postgres("127.0.0.1", pg.port(), "bench_tidemark",
                "postgres", "x"), v, 30).undoScripts(u)) {
                e.migrate(TargetVersion.LATEST, false);
                long t0 = System.nanoTime();
                e.undo(null, false);
                long tidemark = ms(t0);
                try (Connection c = DriverManager.getConnection(pg.jdbcUrl("bench_bare"), "postgres", "x")) {
                    for (MigrationScript m : v) {
                        c.createStatement().execute(m.content());
                    }
                    c.setAutoCommit(false);
                    t0 = System.nanoTime();
                    for (int i = u.size() - 1; i >= 0; i--) {
                        try (var st = c.createStatement()) {
                            st.execute(u.get(i).content());
                        }
                        c.commit();
                    }
                    row("undo", "postgres", n, tidemark, ms(t0));
                }
            }
        }
        try (MongoServer mongo = MongoServer.start(null); MongoClient client = MongoClients.create(mongo.uri())) {
            List<MigrationScript> v = scripts("V", n, "json", i -> "[{\"create\": \"c_" + i + "\"}]");
            List<MigrationScript> u = scripts("U", n, "json", i -> "[{\"drop\": \"c_" + i + "\"}]");
            try (MigrationEngine e = new MongoEngine("bench", MongoClients.create(mongo.uri()), "bench_tidemark", v, Duration.ofSeconds(60),
                Duration.ofSeconds(30)).undoScripts(u)) {
                e.migrate(TargetVersion.LATEST, false);
                long t0 = System.nanoTime();
                e.undo(null, false);
                long tidemark = ms(t0);
                MongoDatabase db = client.getDatabase("bench_bare");
                for (MigrationScript m : v) {
                    MongoEngine.parseCommands(m).forEach(db::runCommand);
                }
                t0 = System.nanoTime();
                for (int i = u.size() - 1; i >= 0; i--) {
                    MongoEngine.parseCommands(u.get(i)).forEach(db::runCommand);
                }
                row("undo", "mongodb", n, tidemark, ms(t0));
            }
        }
        try (ElasticsearchServer es = ElasticsearchServer.start(Files.createTempDirectory("bench-es"));
             ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
            IntFunction<String> index = i -> "PUT /%s_" + i + "\n{\"settings\": {\"number_of_replicas\": 0}}\n";
            List<MigrationScript> v = scripts("V", n, "http", i -> index.apply(i).formatted("tidemark"));
            List<MigrationScript> u = scripts("U", n, "http", i -> "DELETE /tidemark_" + i + "\n");
            try (MigrationEngine e = new ElasticEngine("bench", new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null)), v,
                Duration.ofSeconds(60), Duration.ofSeconds(30)).undoScripts(u)) {
                e.migrate(TargetVersion.LATEST, false);
                long t0 = System.nanoTime();
                e.undo(null, false);
                long tidemark = ms(t0);
                for (MigrationScript m : scripts("V", n, "http", i -> index.apply(i).formatted("bare"))) {
                    for (HttpRequestSpec r : HttpScriptParser.parse(m.script(), m.content())) {
                        client.send(r.method(), r.path(), r.body());
                    }
                }
                t0 = System.nanoTime();
                for (int i = n; i >= 1; i--) {
                    if (!client.send("DELETE", "/bare_" + i, null).ok()) {
                        throw new IllegalStateException("bare delete failed");
                    }
                }
                row("undo", "elasticsearch", n, tidemark, ms(t0));
            }
        }
        lint(files);
        System.exit(0);
    }

    private static void lint(int files) {
        List<MigrationScript> pg = scripts("V", files, "sql", i -> "CREATE TABLE t_" + i + " (\n  id bigint PRIMARY KEY,\n  parent_id bigint REFERENCES t_"
            + Math.max(1, i - 1) + " (id) ON DELETE CASCADE,\n  name varchar(100) NOT NULL,\n  at timestamptz NOT NULL DEFAULT now()\n);\n"
            + "CREATE INDEX t_" + i + "_parent_id_idx ON t_" + i + " (parent_id);\nALTER TABLE t_" + Math.max(1, i - 1) + " ADD COLUMN note_" + i + " text;\n");
        List<MigrationScript> pgUndo = scripts("U", files, "sql", i -> "DROP TABLE t_" + i + ";");
        long t0 = System.nanoTime();
        LintReport report = Linter.lint(Store.POSTGRES, pg, pgUndo, List.of());
        long lint = ms(t0);
        t0 = System.nanoTime();
        for (MigrationScript s : pg) {
            SqlStatements.split(s.script(), s.content());
        }
        row("lint", "postgres", files, lint, ms(t0));
        if (!report.blocking().isEmpty()) {
            throw new IllegalStateException("bench files should lint clean: " + report.blocking().getFirst().describe());
        }
        List<MigrationScript> mongo = scripts("V", files, "json", i -> "[{\"create\": \"c_" + i + "\"}, {\"createIndexes\": \"c_" + i
            + "\", \"indexes\": [{\"key\": {\"a\": 1}, \"name\": \"a_1\", \"unique\": true}]}, {\"update\": \"c_" + i
            + "\", \"updates\": [{\"q\": {}, \"u\": {\"$set\": {\"b\": 1}}, \"multi\": true}]}]");
        t0 = System.nanoTime();
        Linter.lint(Store.MONGODB, mongo, List.of(), List.of());
        lint = ms(t0);
        t0 = System.nanoTime();
        mongo.forEach(MongoEngine::parseCommands);
        row("lint", "mongodb", files, lint, ms(t0));
        List<MigrationScript> http = scripts("V", files, "http", i -> "PUT /idx_" + i + "\n{\"mappings\": {\"properties\": {\"a\": {\"type\": \"keyword\"}}}}\n\n"
            + "PUT /idx_" + i + "/_mapping\n{\"properties\": {\"b\": {\"type\": \"long\"}}}\n");
        t0 = System.nanoTime();
        Linter.lint(Store.ELASTICSEARCH, http, List.of(), List.of());
        lint = ms(t0);
        t0 = System.nanoTime();
        http.forEach(s -> HttpScriptParser.parse(s.script(), s.content()));
        row("lint", "elasticsearch", files, lint, ms(t0));
    }
}
