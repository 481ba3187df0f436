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

/**
 * What Tidemark's bookkeeping (schema history, locks, checksums, validation) costs per migration: N small migrations
 * applied by Tidemark's engine and, side by side in the same run on the same server, by a bare loop over the same
 * statements (PostgreSQL: one JDBC transaction per migration; MongoDB: {@code runCommand}; Elasticsearch: the HTTP
 * requests). Prints milliseconds and the ratio Tidemark / bare.
 *
 * <p>Usage: {@code bench/migrate-overhead [N]} (default 100).
 */
public final class MigrateOverhead {

    private MigrateOverhead() {
    }

    private static List<MigrationScript> scripts(int n, String ext, IntFunction<String> content) {
        List<MigrationScript> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String c = content.apply(i);
            out.add(new MigrationScript(MigrationVersion.parse(Integer.toString(i)), "bench " + i, "V" + i + "__bench." + ext, c, Checksums.of(c)));
        }
        return out;
    }

    private static long ms(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void row(String store, int n, long tidemark, long bare) {
        System.out.printf("%-14s %5d %12d %10d %8.2fx %10.2f%n", store, n, tidemark, bare, (double) tidemark / Math.max(1, bare),
            (tidemark - bare) / (double) n);
    }

    /** @param args optional migration count */
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        System.out.printf("%-14s %5s %12s %10s %9s %10s%n", "store", "N", "tidemark ms", "bare ms", "ratio", "extra ms/m");
        try (PostgresServer pg = PostgresServer.start(null)) {
            pg.createDatabase("bench_tidemark");
            pg.createDatabase("bench_bare");
            List<MigrationScript> s = scripts(n, "sql", i -> "CREATE TABLE t_" + i + " (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());\n"
                + "INSERT INTO t_" + i + " (id) VALUES (" + i + ");");
            long t0 = System.nanoTime();
            try (MigrationEngine e = new PostgresEngine("bench", new ConnectionSecrets.Postgres("127.0.0.1", pg.port(), "bench_tidemark",
                "postgres", "x"), s, 30)) {
                e.migrate(TargetVersion.LATEST, false);
            }
            long tidemark = ms(t0);
            t0 = System.nanoTime();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("bench_bare"), "postgres", "x")) {
                c.setAutoCommit(false);
                for (MigrationScript m : s) {
                    try (var st = c.createStatement()) {
                        st.execute(m.content());
                    }
                    c.commit();
                }
            }
            row("postgres", n, tidemark, ms(t0));
        }
        try (MongoServer mongo = MongoServer.start(null); MongoClient client = MongoClients.create(mongo.uri())) {
            List<MigrationScript> s = scripts(n, "json", i -> "[{\"create\": \"c_" + i + "\"}, {\"createIndexes\": \"c_" + i
                + "\", \"indexes\": [{\"key\": {\"a\": 1}, \"name\": \"a_1\"}]}]");
            long t0 = System.nanoTime();
            try (MigrationEngine e = new MongoEngine("bench", MongoClients.create(mongo.uri()), "bench_tidemark", s, Duration.ofSeconds(60),
                Duration.ofSeconds(30))) {
                e.migrate(TargetVersion.LATEST, false);
            }
            long tidemark = ms(t0);
            MongoDatabase db = client.getDatabase("bench_bare");
            t0 = System.nanoTime();
            for (MigrationScript m : s) {
                for (BsonDocument command : MongoEngine.parseCommands(m)) {
                    db.runCommand(command);
                }
            }
            row("mongodb", n, tidemark, ms(t0));
        }
        try (ElasticsearchServer es = ElasticsearchServer.start(Files.createTempDirectory("bench-es"));
             ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
            IntFunction<String> index = i -> "PUT /%s_" + i + "\n{\"settings\": {\"number_of_replicas\": 0}, \"mappings\": {\"properties\": {\"a\": {\"type\": \"keyword\"}}}}\n";
            List<MigrationScript> s = scripts(n, "http", i -> index.apply(i).formatted("tidemark"));
            long t0 = System.nanoTime();
            try (MigrationEngine e = new ElasticEngine("bench", new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null)), s,
                Duration.ofSeconds(60), Duration.ofSeconds(30))) {
                e.migrate(TargetVersion.LATEST, false);
            }
            long tidemark = ms(t0);
            List<MigrationScript> bare = scripts(n, "http", i -> index.apply(i).formatted("bare"));
            t0 = System.nanoTime();
            for (MigrationScript m : bare) {
                for (HttpRequestSpec r : HttpScriptParser.parse(m.script(), m.content())) {
                    if (!client.send(r.method(), r.path(), r.body()).ok()) {
                        throw new IllegalStateException("bare request failed: " + r.path());
                    }
                }
            }
            row("elasticsearch", n, tidemark, ms(t0));
        }
        System.exit(0);
    }
}
