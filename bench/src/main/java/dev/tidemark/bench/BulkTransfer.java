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
 *   <li>a pgbench table ({@code pgbench -i -s SCALE}): Tidemark's export and import (CSV, gzip, S3, JVM with
 *       {@code -Xmx256m}) against {@code psql \copy | gzip | aws s3 cp -} and its reverse;</li>
 *   <li>N Elasticsearch documents: Tidemark's export and import against elasticdump (npm) on the same index;</li>
 *   <li>peak RSS of Tidemark's JVM (GNU time's maximum resident set) on the small and the large table, to show that it
 *       does not grow with the data.</li>
 * </ul>
 * Arguments: pgbench scale (default 10), Elasticsearch documents (default 1000000). Prints ratios (higher is better for
 * Tidemark).
 */
public final class BulkTransfer {

    private static final String BUCKET = "bench-bulk";
    private static Path repo;
    private static String s3Endpoint;

    private BulkTransfer() {
    }

    /** A measured command. */
    private record Run(double seconds, long maxRssKb, String output) {
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
        for (String line : out.lines().toList()) {
            if (line.startsWith("MAXRSS=")) {
                rss = Long.parseLong(line.substring(7).trim());
            }
        }
        return new Run(seconds, rss, out);
    }

    private static Run tidemark(String op, String store, String secret, String event) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return run(List.of(java, "-Xmx256m", "-Dlog4j2.level=WARN", "-cp", System.getProperty("java.class.path"), BulkCli.class.getName(), op, store,
            secret, s3Endpoint, BUCKET, event), Map.of());
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

    private static void print(String what, double ours, double theirs, String theirName) {
        System.out.printf("%-46s Tidemark %7.2f s   %-22s %7.2f s   ratio %5.2fx%n", what, ours, theirName, theirs, theirs / ours);
    }

    /**
     * An HTTP front for the embedded node, which has no {@code GET /} (elasticdump reads the version there): answers
     * that one request and forwards every other. Both tools go through it, so both pay the same extra hop.
     */
    private static com.sun.net.httpserver.HttpServer front(String es) throws IOException {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            byte[] answer;
            int status;
            String type = "application/json";
            if (exchange.getRequestMethod().equals("GET") && exchange.getRequestURI().getPath().equals("/")) {
                status = 200;
                answer = "{\"name\":\"embedded\",\"version\":{\"number\":\"8.19.21\",\"lucene_version\":\"9.12.2\"},\"tagline\":\"You Know, for Search\"}"
                    .getBytes(StandardCharsets.UTF_8);
            } else {
                byte[] body = exchange.getRequestBody().readAllBytes();
                var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(es + exchange.getRequestURI())).method(exchange.getRequestMethod(),
                    body.length == 0 ? java.net.http.HttpRequest.BodyPublishers.noBody() : java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
                String ct = exchange.getRequestHeaders().getFirst("Content-Type");
                if (ct != null) {
                    b.header("Content-Type", ct);
                }
                try {
                    var r = http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                    status = r.statusCode();
                    answer = r.body();
                    type = r.headers().firstValue("Content-Type").orElse(type);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            exchange.getResponseHeaders().add("Content-Type", type);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head || answer.length == 0 ? -1 : answer.length);
            try (var out = exchange.getResponseBody()) {
                if (!head) {
                    out.write(answer);
                }
            }
        });
        server.start();
        return server;
    }

    /** @param args scale, documents */
    public static void main(String[] args) throws Exception {
        int scale = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int docs = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
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
            Run ours = tidemark("export", "postgres", secretBig, "{\"target\": \"t\", \"source\": {\"table\": \"pgbench_accounts\"}, "
                + "\"destination\": \"s3://" + BUCKET + "/ours/\", \"format\": \"csv\", \"compression\": \"gzip\"}");
            Run theirs = bash(psql + " -d big -c '\\copy pgbench_accounts to stdout with (format csv, header)' | gzip | " + aws + " --endpoint-url "
                + s3Endpoint + " s3 cp - s3://" + BUCKET + "/psql/accounts.csv.gz");
            Run oursSmall = tidemark("export", "postgres", secretSmall, "{\"target\": \"t\", \"source\": {\"table\": \"pgbench_accounts\"}, "
                + "\"destination\": \"s3://" + BUCKET + "/ours-small/\", \"format\": \"csv\"}");
            System.out.printf("%npgbench_accounts: %d rows (scale %d)%n", rows, scale);
            print("PostgreSQL export (CSV, gzip, to S3)", ours.seconds(), theirs.seconds(), "psql|gzip|aws s3 cp");

            // PostgreSQL import
            sql(pg, "big", "CREATE TABLE accounts_ours (LIKE pgbench_accounts INCLUDING ALL)");
            sql(pg, "big", "CREATE TABLE accounts_psql (LIKE pgbench_accounts INCLUDING ALL)");
            Run oursIn = tidemark("import", "postgres", secretBig, "{\"target\": \"t\", \"source\": \"s3://" + BUCKET + "/ours/\", "
                + "\"destination\": {\"table\": \"accounts_ours\"}, \"mode\": \"insert\"}");
            Run theirsIn = bash(aws + " --endpoint-url " + s3Endpoint + " s3 cp s3://" + BUCKET + "/psql/accounts.csv.gz - | gunzip | " + psql
                + " -d big -c '\\copy accounts_psql from stdin with (format csv, header)'");
            if (count(pg, "big", "accounts_ours") != rows || count(pg, "big", "accounts_psql") != rows) {
                throw new IllegalStateException("an import lost rows");
            }
            print("PostgreSQL import (verify + COPY, from S3)", oursIn.seconds(), theirsIn.seconds(), "aws s3 cp|gunzip|psql");
            System.out.printf("peak RSS of Tidemark's JVM (-Xmx256m): export scale %d %d MB, scale 2 %d MB; import %d MB%n", scale,
                ours.maxRssKb() / 1024, oursSmall.maxRssKb() / 1024, oursIn.maxRssKb() / 1024);

            // Elasticsearch
            String index = "bench";
            try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
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
                client.send("PUT", "/" + index + "-ours/", "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}}");
                client.send("PUT", "/" + index + "-dump/", "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}}");
            }
            com.sun.net.httpserver.HttpServer front = front(es.url());
            String url = "http://127.0.0.1:" + front.getAddress().getPort();
            String esSecret = "{\"url\":\"" + url + "\"}";
            Run esOurs = tidemark("export", "elasticsearch", esSecret, "{\"target\": \"t\", \"source\": {\"index\": \"" + index + "\"}, "
                + "\"destination\": \"s3://" + BUCKET + "/es-ours/\", \"batchSize\": 5000}");
            Path dump = work.resolve("dump.ndjson");
            Run esDump = run(List.of(elasticdump, "--input=" + url + "/" + index, "--output=" + dump, "--type=data", "--limit=5000",
                "--quiet"), Map.of());
            System.out.printf("%nElasticsearch: %d documents%n", docs);
            print("Elasticsearch export (to S3, gzip)", esOurs.seconds(), esDump.seconds(), "elasticdump (to file)");
            Run esOursIn = tidemark("import", "elasticsearch", esSecret, "{\"target\": \"t\", \"source\": \"s3://" + BUCKET + "/es-ours/\", "
                + "\"destination\": {\"index\": \"" + index + "-ours\"}, \"mode\": \"upsert\", \"batchSize\": 5000}");
            Run esDumpIn = run(List.of(elasticdump, "--input=" + dump, "--output=" + url + "/" + index + "-dump", "--type=data",
                "--limit=5000", "--quiet"), Map.of());
            print("Elasticsearch import (verify + _bulk, from S3)", esOursIn.seconds(), esDumpIn.seconds(), "elasticdump (from file)");
            try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
                client.send("POST", "/_refresh", null);
                long a = client.send("GET", "/" + index + "-ours/_count", null).body().path("count").asLong();
                long b = client.send("GET", "/" + index + "-dump/_count", null).body().path("count").asLong();
                System.out.printf("documents imported: Tidemark %d, elasticdump %d%n", a, b);
            }
            front.stop(0);
            System.out.printf("peak RSS of Tidemark's JVM (-Xmx256m): Elasticsearch export %d MB, import %d MB%n", esOurs.maxRssKb() / 1024,
                esOursIn.maxRssKb() / 1024);
        }
    }
}
