package dev.tidemark.bench;

import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Bulk transfer side by side, in one run, on the same servers (embedded PostgreSQL 17, Elasticsearch 8, S3Proxy):
 * <ul>
 *   <li>a pgbench table ({@code pgbench -i -s SCALE}): Tidemark's export and import (CSV, gzip, S3) against
 *       {@code psql \copy | gzip | aws s3 cp -} and its reverse;</li>
 *   <li>N Elasticsearch documents: Tidemark's export and import against elasticdump (npm) on the same index, both
 *       talking to the node directly; elasticdump with Tidemark's page size ({@code --limit=5000}, three runs) and as it
 *       ships ({@code --limit=100}, one run);</li>
 *   <li>peak RSS of Tidemark's JVM (GNU time's maximum resident set) on the small and the large table, to show that it
 *       does not grow with the data.</li>
 * </ul>
 * Tidemark runs as the bulk functions do ({@link BulkCli}: its own JVM, {@code -Xmx256m} and the template's
 * {@code JAVA_TOOL_OPTIONS}). Each side runs {@value #RUNS} times and the median is printed. Two ratios: against the
 * invocation alone (the init is done once per Lambda execution environment, and SnapStart restores it from a
 * snapshot), and against the whole process (a cold start without SnapStart).
 * Arguments: pgbench scale (default 10), Elasticsearch documents (default 1000000), and {@code defaults} to add
 * elasticdump as it ships. Ratios above 1 favour Tidemark.
 */
public final class BulkTransfer {

    private static final String BUCKET = "bench-bulk";
    private static final int RUNS = 3;
    /** The template's {@code JAVA_TOOL_OPTIONS} for the bulk functions. */
    private static final List<String> FUNCTION_JVM = List.of("-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-XX:+UseParallelGC");
    private static Path repo;
    private static String s3Endpoint;

    private BulkTransfer() {
    }

    /** A measured command; {@code invocation} is Tidemark's time after its init, else the whole time. */
    private record Run(double seconds, long maxRssKb, String output, double invocation) {
    }

    /** The median of {@value #RUNS} runs, by whole time; {@code each} gets the run's number. */
    private static Run median(java.util.function.IntFunction<Run> each) {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            runs.add(each.apply(i));
        }
        runs.sort(java.util.Comparator.comparingDouble(Run::seconds));
        Run mid = runs.get(RUNS / 2);
        List<Run> byInvocation = new ArrayList<>(runs);
        byInvocation.sort(java.util.Comparator.comparingDouble(Run::invocation));
        long rss = runs.stream().mapToLong(Run::maxRssKb).max().orElse(0);
        return new Run(mid.seconds(), rss, mid.output(), byInvocation.get(RUNS / 2).invocation());
    }

    /** Runs a step of the benchmark, whose checked exceptions end it. */
    @FunctionalInterface
    private interface Step {
        Run run(int i) throws Exception;
    }

    private static java.util.function.IntFunction<Run> step(Step s) {
        return i -> {
            try {
                return s.run(i);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private static Run run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        List<String> timed = new ArrayList<>(List.of("/usr/bin/time", "-f", "MAXRSS=%M"));
        timed.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(timed).redirectErrorStream(true);
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (code != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + code + ":\n" + out);
        }
        long rss = 0;
        double invocation = seconds;
        for (String line : out.lines().toList()) {
            if (line.startsWith("MAXRSS=")) {
                rss = Long.parseLong(line.substring(7).trim());
            }
            int at = line.indexOf("invocation-ms=");
            if (at >= 0) {
                invocation = Long.parseLong(line.substring(at + 14).trim()) / 1000.0;
            }
        }
        return new Run(seconds, rss, out, invocation);
    }

    private static Run tidemark(String op, String store, String secret, String event) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m"));
        command.addAll(FUNCTION_JVM);
        command.addAll(List.of("-Dlog4j2.level=WARN", "-cp", System.getProperty("java.class.path"), BulkCli.class.getName(), op, store, secret,
            s3Endpoint, BUCKET, event));
        return run(command, Map.of());
    }

    private static Map<String, String> awsEnv() {
        return Map.of("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY, "AWS_DEFAULT_REGION", "us-east-1",
            "AWS_REQUEST_CHECKSUM_CALCULATION", "when_required", "AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required");
    }

    private static Run bash(String script) throws Exception {
        return run(List.of("bash", "-o", "pipefail", "-c", script), awsEnv());
    }

    private static long count(PostgresServer pg, String db, String table) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), "postgres", "x"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void sql(PostgresServer pg, String db, String statement) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), "postgres", "x"); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private static void print(String what, Run ours, Run theirs, String theirName) {
        System.out.printf("%-44s Tidemark %6.2f s (cold %6.2f s)   %-24s %6.2f s   ratio %5.2fx (cold %5.2fx)%n", what, ours.invocation(),
            ours.seconds(), theirName, theirs.seconds(), theirs.seconds() / ours.invocation(), theirs.seconds() / ours.seconds());
    }

    private static void createIndex(String url, String name) {
        try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null))) {
            client.send("PUT", "/" + name, "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}}");
        }
    }

    private static void requireCount(String url, String name, long expected) {
        try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null))) {
            client.send("POST", "/" + name + "/_refresh", null);
            long count = client.send("GET", "/" + name + "/_count", null).body().path("count").asLong();
            if (count != expected) {
                throw new IllegalStateException(name + " holds " + count + " documents, not " + expected);
            }
            client.send("DELETE", "/" + name, null);
        }
    }

    /** @param args scale, documents */
    public static void main(String[] args) throws Exception {
        int scale = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int docs = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        boolean withDefaults = args.length > 2 && args[2].equals("defaults");
        repo = Path.of(System.getProperty("tidemark.root", "."));
        String aws = System.getProperty("tidemark.aws", "aws");
        String elasticdump = repo.resolve("bench/node_modules/.bin/elasticdump").toString();
        Path work = Files.createTempDirectory("tidemark-bench-bulk");
        try (PostgresServer pg = PostgresServer.start(null); S3Server s3 = S3Server.start(null);
             ElasticsearchServer es = ElasticsearchServer.start(work.resolve("es"))) {
            s3Endpoint = s3.endpoint();
            new dev.tidemark.config.AwsClients(Map.of("AWS_ENDPOINT_URL_S3", s3Endpoint, "AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY, "AWS_REGION", "us-east-1", "AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"))
                .s3().createBucket(b -> b.bucket(BUCKET));
            String psql = "psql -q -h 127.0.0.1 -p " + pg.port() + " -U postgres";
            System.out.printf("servers up; pgbench -i -s %d and -s 2; %d Elasticsearch documents%n", scale, docs);
            for (String db : List.of("big", "small")) {
                pg.createDatabase(db);
                bash("pgbench -i -q -s " + (db.equals("big") ? scale : 2) + " -h 127.0.0.1 -p " + pg.port() + " -U postgres " + db + " 2>&1 | tail -1");
            }
            long rows = count(pg, "big", "pgbench_accounts");
            String secretBig = "{\"host\":\"127.0.0.1\",\"port\":" + pg.port() + ",\"username\":\"postgres\",\"password\":\"x\",\"dbname\":\"big\"}";
            String secretSmall = secretBig.replace("\"big\"", "\"small\"");

            // PostgreSQL export
            String psqlCopy = psql + " -d big -c '\\copy pgbench_accounts to stdout with (format csv, header)' | gzip | " + aws + " --endpoint-url "
                + s3Endpoint + " s3 cp - s3://" + BUCKET + "/psql/accounts.csv.gz";
            Run ours = median(step(i -> tidemark("export", "postgres", secretBig, "{\"target\": \"t\", \"source\": {\"table\": \"pgbench_accounts\"}, "
                + "\"destination\": \"s3://" + BUCKET + "/ours-" + i + "/\", \"format\": \"csv\", \"compression\": \"gzip\"}")));
            Run theirs = median(step(i -> bash(psqlCopy)));
            Run oursSmall = tidemark("export", "postgres", secretSmall, "{\"target\": \"t\", \"source\": {\"table\": \"pgbench_accounts\"}, "
                + "\"destination\": \"s3://" + BUCKET + "/ours-small/\", \"format\": \"csv\"}");
            System.out.printf("%npgbench_accounts: %d rows (scale %d); median of %d runs each%n", rows, scale, RUNS);
            print("PostgreSQL export (CSV, gzip, to S3)", ours, theirs, "psql|gzip|aws s3 cp");

            // PostgreSQL import, each run into a fresh table
            Run oursIn = median(step(i -> {
                sql(pg, "big", "DROP TABLE IF EXISTS accounts_ours; CREATE TABLE accounts_ours (LIKE pgbench_accounts INCLUDING ALL)");
                Run r = tidemark("import", "postgres", secretBig, "{\"target\": \"t\", \"source\": \"s3://" + BUCKET + "/ours-0/\", "
                    + "\"destination\": {\"table\": \"accounts_ours\"}, \"mode\": \"insert\"}");
                if (count(pg, "big", "accounts_ours") != rows) {
                    throw new IllegalStateException("Tidemark's import lost rows");
                }
                return r;
            }));
            Run theirsIn = median(step(i -> {
                sql(pg, "big", "DROP TABLE IF EXISTS accounts_psql; CREATE TABLE accounts_psql (LIKE pgbench_accounts INCLUDING ALL)");
                Run r = bash(aws + " --endpoint-url " + s3Endpoint + " s3 cp s3://" + BUCKET + "/psql/accounts.csv.gz - | gunzip | " + psql
                    + " -d big -c '\\copy accounts_psql from stdin with (format csv, header)'");
                if (count(pg, "big", "accounts_psql") != rows) {
                    throw new IllegalStateException("the psql import lost rows");
                }
                return r;
            }));
            print("PostgreSQL import (verify + COPY, from S3)", oursIn, theirsIn, "aws s3 cp|gunzip|psql");
            System.out.printf("peak RSS of Tidemark's JVM (-Xmx256m): export scale %d %d MB, scale 2 %d MB; import %d MB%n", scale,
                ours.maxRssKb() / 1024, oursSmall.maxRssKb() / 1024, oursIn.maxRssKb() / 1024);

            // Elasticsearch
            String index = "bench";
            String url = es.url();
            try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null))) {
                client.send("PUT", "/" + index, "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0, \"refresh_interval\": \"-1\"}}");
                StringBuilder bulk = new StringBuilder();
                for (int i = 0; i < docs; i++) {
                    bulk.append("{\"index\":{\"_id\":\"").append(i).append("\"}}\n{\"n\":").append(i).append(",\"title\":\"track ")
                        .append(Integer.toHexString(i * 7919)).append("\",\"price\":").append(i % 10000 / 100.0).append(",\"tags\":[\"t")
                        .append(i % 17).append("\",\"u").append(i % 31).append("\"],\"meta\":{\"plays\":").append(i * 13L).append("}}\n");
                    if ((i + 1) % 5000 == 0 || i == docs - 1) {
                        client.send("POST", "/" + index + "/_bulk", bulk.toString());
                        bulk.setLength(0);
                    }
                }
                client.send("POST", "/" + index + "/_refresh", null);
            }
            String esSecret = "{\"url\":\"" + url + "\"}";
            Run esOurs = median(step(i -> tidemark("export", "elasticsearch", esSecret, "{\"target\": \"t\", \"source\": {\"index\": \"" + index
                + "\"}, \"destination\": \"s3://" + BUCKET + "/es-ours-" + i + "/\", \"batchSize\": 5000}")));
            Run esOursFast = median(step(i -> tidemark("export", "elasticsearch", esSecret, "{\"target\": \"t\", \"source\": {\"index\": \"" + index
                + "\"}, \"destination\": \"s3://" + BUCKET + "/es-fast-" + i + "/\", \"batchSize\": 5000, \"compressionLevel\": 1}")));
            Path dump = work.resolve("dump.ndjson");
            Run esDump = median(step(i -> {
                Files.deleteIfExists(dump);
                return run(List.of(elasticdump, "--input=" + url + "/" + index, "--output=" + dump, "--type=data", "--limit=5000", "--quiet"), Map.of());
            }));
            System.out.printf("%nElasticsearch: %d documents; median of %d runs each%n", docs, RUNS);
            print("Elasticsearch export (to S3, gzip)", esOurs, esDump, "elasticdump (to a file)");
            print("Elasticsearch export (to S3, gzip level 1)", esOursFast, esDump, "elasticdump (to a file)");
            Run esOursIn = median(step(i -> {
                String into = index + "-ours-" + i;
                createIndex(url, into);
                Run r = tidemark("import", "elasticsearch", esSecret, "{\"target\": \"t\", \"source\": \"s3://" + BUCKET + "/es-ours-0/\", "
                    + "\"destination\": {\"index\": \"" + into + "\"}, \"mode\": \"upsert\", \"batchSize\": 5000}");
                requireCount(url, into, docs);
                return r;
            }));
            Run esDumpIn = median(step(i -> {
                String into = index + "-dump-" + i;
                createIndex(url, into);
                Run r = run(List.of(elasticdump, "--input=" + dump, "--output=" + url + "/" + into, "--type=data", "--limit=5000", "--quiet"), Map.of());
                requireCount(url, into, docs);
                return r;
            }));
            print("Elasticsearch import (verify + _bulk, from S3)", esOursIn, esDumpIn, "elasticdump (from a file)");
            // elasticdump as it ships (--limit 100), once each, when asked for: its import alone takes over ten minutes
            if (withDefaults) {
                Path dumpDefault = work.resolve("dump-default.ndjson");
                Run esDumpDefault = run(List.of(elasticdump, "--input=" + url + "/" + index, "--output=" + dumpDefault, "--type=data", "--quiet"), Map.of());
                createIndex(url, index + "-dump-default");
                Run esDumpDefaultIn = run(List.of(elasticdump, "--input=" + dumpDefault, "--output=" + url + "/" + index + "-dump-default", "--type=data",
                    "--quiet"), Map.of());
                requireCount(url, index + "-dump-default", docs);
                print("Elasticsearch export (to S3, gzip)", esOurs, esDumpDefault, "elasticdump, defaults");
                print("Elasticsearch import (verify + _bulk, from S3)", esOursIn, esDumpDefaultIn, "elasticdump, defaults");
            }
            System.out.printf("peak RSS of Tidemark's JVM (-Xmx256m): Elasticsearch export %d MB, import %d MB%n", esOurs.maxRssKb() / 1024,
                esOursIn.maxRssKb() / 1024);
        }
    }
}
