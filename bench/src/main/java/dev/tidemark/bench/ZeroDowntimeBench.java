package dev.tidemark.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.ElasticReindex;
import dev.tidemark.migration.BackfillProgress;
import dev.tidemark.migration.Checksums;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.postgres.PostgresBackfill;
import dev.tidemark.postgres.PostgresEngine;
import dev.tidemark.migration.TargetVersion;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.OpenSearchServer;
import dev.tidemark.servers.PostgresServer;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Zero-downtime rollouts, side by side in one run on the same servers:
 * <ul>
 *   <li>PostgreSQL backfill of ROWS rows ({@code email_lower = lower(email)}, batches of 10,000 in key order, a commit per
 *       batch) by Tidemark's {@link PostgresBackfill} against a bare JDBC loop doing the same batches; while Tidemark's
 *       migration and backfill run, an application thread updates and reads single rows and the longest time any of its
 *       statements took is printed, with the {@code ALTER TABLE} of the expand migration waiting behind a 3-second
 *       reporting transaction (lock_timeout 1 s);</li>
 *   <li>Elasticsearch reindex of DOCS documents behind an alias by Tidemark's {@link ElasticReindex} against a bare
 *       scroll + {@code _bulk} copy on the Elasticsearch node (no reindex module), and against a bare {@code _reindex} on
 *       the OpenSearch node.</li>
 * </ul>
 * Prints milliseconds and the ratio Tidemark / bare.
 *
 * <p>Usage: {@code bench/zero-downtime [ROWS] [DOCS]} (defaults 10,000,000 and 1,000,000).
 */
public final class ZeroDowntimeBench {

    private static final int BATCH = 10_000;
    private static final int LOCK_TIMEOUT_MS = 1000;

    private ZeroDowntimeBench() {
    }

    private static long ms(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void row(String what, long tidemark, long bare, String bareName) {
        System.out.printf("%-46s %10d %10d %8.2fx   (bare: %s)%n", what, tidemark, bare, (double) tidemark / Math.max(1, bare), bareName);
    }

    /** @param args optional ROWS and DOCS */
    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        int docs = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        System.out.printf("%-46s %10s %10s %9s%n", "", "tidemark ms", "bare ms", "ratio");
        postgres(rows);
        elastic(docs);
    }

    private static void postgres(long rows) throws Exception {
        try (PostgresServer pg = PostgresServer.start(null)) {
            for (String db : List.of("zd_tidemark", "zd_bare")) {
                pg.createDatabase(db);
                try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), "postgres", "x"); Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL)");
                    st.execute("INSERT INTO users SELECT g, 'User' || g || '@Example.org' FROM generate_series(1, " + rows + ") g");
                    st.execute("VACUUM ANALYZE users");
                }
            }
            // bare: the same DDL, then the same batches in a plain loop
            long t0 = System.nanoTime();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("zd_bare"), "postgres", "x")) {
                try (Statement st = c.createStatement()) {
                    st.execute("ALTER TABLE users ADD COLUMN email_lower text");
                }
                c.setAutoCommit(false);
                long last = 0;
                while (true) {
                    long upper;
                    try (PreparedStatement ps = c.prepareStatement("SELECT max(id) FROM (SELECT id FROM users WHERE id > ? ORDER BY id LIMIT ?) b")) {
                        ps.setLong(1, last);
                        ps.setInt(2, BATCH);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            upper = rs.getLong(1);
                            if (rs.wasNull()) {
                                break;
                            }
                        }
                    }
                    try (PreparedStatement ps = c.prepareStatement("UPDATE users SET email_lower = lower(email) WHERE id > ? AND id <= ? AND email_lower IS NULL")) {
                        ps.setLong(1, last);
                        ps.setLong(2, upper);
                        ps.executeUpdate();
                    }
                    c.commit();
                    last = upper;
                }
            }
            long bare = ms(t0);

            // Tidemark: the expand migration (through the engine, lock_timeout 1 s) behind a reporting transaction, then the
            // backfill, while the application keeps working
            ConnectionSecrets.Postgres secret = new ConnectionSecrets.Postgres("127.0.0.1", pg.port(), "zd_tidemark", "postgres", "x");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong longest = new AtomicLong();
            AtomicLong statements = new AtomicLong();
            // own threads: the common pool has one thread on a 2-core machine
            java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
            CompletableFuture<Void> app = CompletableFuture.runAsync(() -> {
                try (Connection c = DriverManager.getConnection(pg.jdbcUrl("zd_tidemark"), "postgres", "x")) {
                    while (!stop.get()) {
                        long id = 1 + ThreadLocalRandom.current().nextLong(rows);
                        long s = System.nanoTime();
                        try (Statement st = c.createStatement()) {
                            st.executeUpdate("UPDATE users SET email = email WHERE id = " + id);
                            st.executeQuery("SELECT email FROM users WHERE id = " + id).close();
                        }
                        longest.accumulateAndGet(System.nanoTime() - s, Math::max);
                        statements.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            CompletableFuture<Void> report = CompletableFuture.runAsync(() -> {
                try (Connection c = DriverManager.getConnection(pg.jdbcUrl("zd_tidemark"), "postgres", "x")) {
                    c.setAutoCommit(false);
                    c.createStatement().executeQuery("SELECT count(*) FROM users WHERE id < 1000").close();
                    Thread.sleep(3000);
                    c.rollback();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            Thread.sleep(300);
            String ddl = "ALTER TABLE users ADD COLUMN email_lower text;\n";
            String backfill = "/* tidemark:backfill\n{\"table\": \"users\", \"key\": \"id\", \"set\": \"email_lower = lower(email)\", "
                + "\"where\": \"email_lower IS NULL\", \"batchSize\": " + BATCH + "}\n*/\n";
            MigrationScript v1 = new MigrationScript(MigrationVersion.parse("1"), "add email lower", "V1__add_email_lower.sql", ddl, Checksums.of(ddl));
            MigrationScript v2 = new MigrationScript(MigrationVersion.parse("2"), "backfill", "V2__backfill.sql", backfill, Checksums.of(backfill));
            long t1 = System.nanoTime();
            long ddlMs;
            BackfillProgress progress;
            try (PostgresEngine engine = new PostgresEngine("bench", secret, List.of(v1, v2), 30).lockTimeout(LOCK_TIMEOUT_MS)) {
                engine.baseline(MigrationVersion.parse("0"), "the live schema");
                engine.migrate(TargetVersion.parse("1"), false);
                ddlMs = ms(t1);
                long t2 = System.nanoTime();
                progress = new PostgresBackfill("bench", secret, LOCK_TIMEOUT_MS).run(v2, PostgresBackfill.declared(v2).orElseThrow(), () -> false);
                long tidemark = ms(t2);
                engine.migrate(TargetVersion.LATEST, false);
                row("postgres backfill " + rows + " rows", tidemark, bare, "JDBC loop, same batches");
            }
            stop.set(true);
            app.get();
            report.get();
            threads.shutdown();
            System.out.printf("  %d rows updated in %d batches; the ALTER behind a 3 s transaction took %d ms (retried after lock_timeout %d ms)%n",
                progress.done(), progress.batches(), ddlMs, LOCK_TIMEOUT_MS);
            System.out.printf("  application: %d statements, the longest took %d ms (lock_timeout %d ms)%n", statements.get(),
                longest.get() / 1_000_000, LOCK_TIMEOUT_MS);
        }
    }

    private static void elastic(int docs) throws Exception {
        try (ElasticsearchServer es = ElasticsearchServer.start(Files.createTempDirectory("zd-es"));
             ElasticClient c = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
            load(c, "a", docs);
            load(c, "b", docs);
            long t0 = System.nanoTime();
            bareScrollCopy(c, "a-v1", "a-v2", docs);
            long bare = ms(t0);
            long t1 = System.nanoTime();
            reindex(c, "b");
            row("elasticsearch reindex " + docs + " docs", ms(t1), bare, "scroll + _bulk, same pages");
        }
        try (OpenSearchServer os = OpenSearchServer.start();
             ElasticClient c = new ElasticClient(new ConnectionSecrets.Elastic(os.url(), null, null, null), java.time.Duration.ofMinutes(30))) {
            load(c, "a", docs);
            load(c, "b", docs);
            long t0 = System.nanoTime();
            c.send("PUT", "/a-v2", "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}}");
            JsonNode r = c.send("POST", "/_reindex?wait_for_completion=true&slices=auto&refresh=true",
                "{\"source\": {\"index\": \"a-v1\"}, \"dest\": {\"index\": \"a-v2\"}}").body();
            long bare = ms(t0);
            long t1 = System.nanoTime();
            reindex(c, "b");
            row("opensearch reindex " + docs + " docs", ms(t1), bare, "_reindex, " + r.path("total").asLong() + " docs");
        }
    }

    private static void load(ElasticClient c, String name, int docs) {
        c.send("PUT", "/" + name + "-v1", "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0, \"refresh_interval\": \"-1\"}, "
            + "\"mappings\": {\"properties\": {\"title\": {\"type\": \"text\"}, \"year\": {\"type\": \"keyword\"}, \"updated_at\": {\"type\": \"date\"}}}, "
            + "\"aliases\": {\"" + name + "\": {\"is_write_index\": true}}}");
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < docs; i++) {
            bulk.append("{\"index\":{\"_id\":\"").append(i).append("\"}}\n{\"title\":\"song ").append(i).append("\",\"year\":\"").append(1950 + i % 70)
                .append("\",\"updated_at\":").append(1_700_000_000_000L + i).append("}\n");
            if ((i + 1) % 10_000 == 0 || i == docs - 1) {
                c.send("POST", "/" + name + "-v1/_bulk", bulk.toString());
                bulk.setLength(0);
            }
        }
        c.send("PUT", "/" + name + "-v1/_settings", "{\"index.refresh_interval\": \"1s\"}");
        c.send("POST", "/" + name + "-v1/_refresh", null);
    }

    private static void bareScrollCopy(ElasticClient c, String from, String to, int docs) {
        c.send("PUT", "/" + to, "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}}");
        JsonNode r = c.send("POST", "/" + from + "/_search?scroll=10m", "{\"size\": 1000, \"sort\": [\"_doc\"]}").body();
        while (r.path("hits").path("hits").size() > 0) {
            StringBuilder nd = new StringBuilder();
            for (JsonNode h : r.path("hits").path("hits")) {
                nd.append("{\"index\": {\"_index\": \"").append(to).append("\", \"_id\": \"").append(h.path("_id").asText()).append("\"}}\n")
                    .append(h.path("_source")).append('\n');
            }
            c.send("POST", "/_bulk", nd.toString());
            r = c.send("POST", "/_search/scroll", "{\"scroll\": \"10m\", \"scroll_id\": \"" + r.path("_scroll_id").asText() + "\"}").body();
        }
        c.send("POST", "/" + to + "/_refresh", null);
    }

    private static void reindex(ElasticClient c, String alias) {
        String decl = "POST /_tidemark/reindex\n{\"alias\": \"" + alias + "\", \"index\": \"" + alias + "-v2\", \"catchUpField\": \"updated_at\", "
            + "\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}}\n";
        MigrationScript s = new MigrationScript(MigrationVersion.parse("1"), "reindex", "V1__reindex.http", decl, Checksums.of(decl));
        ElasticReindex reindex = new ElasticReindex("bench", c);
        BackfillProgress p;
        do {
            p = reindex.run(s, () -> false);
        } while (!p.finished());
        reindex.forget(s);
    }
}
