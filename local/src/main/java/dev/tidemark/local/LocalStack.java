package dev.tidemark.local;

import dev.tidemark.config.AwsClients;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.MotoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The local stand-ins for what a deployment talks to, all on {@code 127.0.0.1}: PostgreSQL 17, a MongoDB wire server,
 * an Elasticsearch node, S3 (S3Proxy) holding the migrations bucket, and Secrets Manager (moto) holding the targets'
 * connection secrets. With a data directory the stores keep their data between runs; moto is always fresh, so the
 * secrets are created on every start. {@link #close()} stops everything this started.
 */
public final class LocalStack implements AutoCloseable {

    /** Bucket the migrations are uploaded to. */
    public static final String BUCKET = "tidemark-migrations";
    /** Bucket bulk exports are written to and imports read from ({@code TIDEMARK_BULK_BUCKET}). */
    public static final String BULK_BUCKET = "tidemark-bulk";
    /** Bucket erasure receipts are written to ({@code TIDEMARK_RECEIPT_BUCKET}). */
    public static final String RECEIPT_BUCKET = "tidemark-receipts";
    /** Bucket the erasure API keeps accepted requests in ({@code TIDEMARK_ERASURE_REQUEST_BUCKET}). */
    public static final String REQUEST_BUCKET = "tidemark-erasure-requests";
    /** Target names, as in template.yaml's defaults. */
    public static final String POSTGRES_TARGET = "app-db";
    /** MongoDB target name. */
    public static final String MONGO_TARGET = "app-docs";
    /** Elasticsearch target name. */
    public static final String ELASTIC_TARGET = "search";
    /** The application database on PostgreSQL and MongoDB. */
    public static final String DATABASE = "app";

    private final List<AutoCloseable> started = new ArrayList<>();
    private PostgresServer postgres;
    private MongoServer mongo;
    private ElasticsearchServer elastic;
    private S3Server s3;
    private MotoServer moto;
    private final Map<String, String> secretArns = new LinkedHashMap<>();
    private String continuationKeyArn;
    /** The role of the upgrade, rollback and health-check functions: DDL and the schema history. */
    static final String MIGRATOR = "migrator";
    /** The role of bulk-export: reads the application's tables only. */
    static final String READER = "reader";
    /** The role of bulk-import: writes the application's rows only. */
    static final String LOADER = "loader";
    /** The role of erasure: reads, updates and deletes the application's rows only. */
    static final String ERASER = "eraser";
    private String erasureKeyArn;
    private final String postgresPassword;

    private LocalStack() {
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        this.postgresPassword = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /**
     * Starts every server (in parallel) and creates the secrets and the bucket.
     *
     * @param dataDir where the stores keep their data, or {@code null} for throw-away data
     * @param progress where to report each server as it comes up
     * @return the running stack
     */
    public static LocalStack start(Path dataDir, PrintStream progress) {
        LocalStack stack = new LocalStack();
        try {
            stack.startServers(dataDir, progress);
            stack.createSecrets(dataDir);
            try (S3Client s3 = stack.s3Client()) {
                if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(BUCKET))) {
                    s3.createBucket(b -> b.bucket(BUCKET));
                }
                if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(BULK_BUCKET))) {
                    s3.createBucket(b -> b.bucket(BULK_BUCKET));
                }
                for (String bucket : List.of(RECEIPT_BUCKET, REQUEST_BUCKET)) {
                    if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
                        s3.createBucket(b -> b.bucket(bucket));
                    }
                }
            }
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private <T extends AutoCloseable> CompletableFuture<T> timed(String what, Supplier<T> start, java.util.function.Function<T, String> describe,
                                                                 PrintStream progress) {
        return CompletableFuture.supplyAsync(() -> {
            long t0 = System.nanoTime();
            T server = start.get();
            synchronized (started) {
                started.add(server);
            }
            progress.printf("  %-26s %-32s %5d ms%n", what, describe.apply(server), (System.nanoTime() - t0) / 1_000_000);
            return server;
        });
    }

    private void startServers(Path dataDir, PrintStream progress) {
        Path data = dataDir == null ? null : dataDir.toAbsolutePath();
        Path esHome;
        try {
            esHome = data == null ? Files.createTempDirectory("tidemark-es") : data.resolve("elasticsearch");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var pg = timed("PostgreSQL 17", () -> PostgresServer.start(data == null ? null : data.resolve("postgres")),
            s -> "127.0.0.1:" + s.port(), progress);
        var mg = timed("MongoDB (mongo-java-server)", () -> MongoServer.start(data == null ? null : data.resolve("mongodb/store.mv")),
            MongoServer::uri, progress);
        var es = timed("Elasticsearch 8.19 node", () -> ElasticsearchServer.start(esHome), ElasticsearchServer::url, progress);
        var s3f = timed("S3 (S3Proxy)", () -> S3Server.start(data == null ? null : data.resolve("s3")), S3Server::endpoint, progress);
        var mt = timed("Secrets Manager (moto)", MotoServer::start, MotoServer::endpoint, progress);
        try {
            CompletableFuture.allOf(pg, mg, es, s3f, mt).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        postgres = pg.join();
        mongo = mg.join();
        elastic = es.join();
        s3 = s3f.join();
        moto = mt.join();
        postgres.createDatabase(DATABASE);
        postgres.createRoles(DATABASE, postgresPassword);
    }

    private Map<String, String> awsEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AWS_REGION", LambdaEndpoint.REGION);
        env.put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
        env.put("AWS_ENDPOINT_URL_S3", s3.endpoint());
        env.put("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto.endpoint());
        env.put("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required");
        env.put("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required");
        return env;
    }

    private void createSecrets(Path dataDir) {
        try (SecretsManagerClient sm = new AwsClients(awsEnvironment()).secretsManager()) {
            for (String role : List.of(MIGRATOR, READER, LOADER, ERASER)) {
                String user = switch (role) {
                    case READER -> PostgresServer.READER;
                    case LOADER -> PostgresServer.LOADER;
                    case ERASER -> PostgresServer.ERASER;
                    default -> "postgres";
                };
                put(sm, role, POSTGRES_TARGET, "{\"engine\":\"postgres\",\"host\":\"127.0.0.1\",\"port\":" + postgres.port()
                    + ",\"username\":\"" + user + "\",\"password\":\"" + postgresPassword + "\",\"dbname\":\"" + DATABASE + "\"}");
                // the MongoDB wire server and the Elasticsearch node have no users: every role's secret names the same server
                put(sm, role, MONGO_TARGET, "{\"uri\":\"" + mongo.uri() + "/" + DATABASE + "\"}");
                put(sm, role, ELASTIC_TARGET, "{\"url\":\"" + elastic.url() + "\"}");
            }
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            continuationKeyArn = sm.createSecret(b -> b.name("tidemark/local/continuation-key")
                .secretString(Base64.getUrlEncoder().withoutPadding().encodeToString(key))).arn();
            String erasureKey = erasureKey(dataDir);
            erasureKeyArn = sm.createSecret(b -> b.name("tidemark/local/erasure-key").secretString(erasureKey)).arn();
        }
    }

    /**
     * The erasure key, random; kept in the data directory ({@code erasure.key}, owner-only) when there is one, so that
     * the hashes of requests and receipts kept there stay valid on the next run, as the template's secret does.
     */
    static String erasureKey(Path dataDir) {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String fresh = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        if (dataDir == null) {
            return fresh;
        }
        Path file = dataDir.toAbsolutePath().resolve("erasure.key");
        try {
            if (Files.isRegularFile(file)) {
                return Files.readString(file).strip();
            }
            Files.createDirectories(file.getParent());
            Files.writeString(file, fresh);
            try {
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            return fresh;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the local erasure key in " + file, e);
        }
    }

    private void put(SecretsManagerClient sm, String role, String target, String value) {
        String name = "tidemark/local/" + role + "/" + target;
        String arn = sm.createSecret(b -> b.name(name).secretString(value)).arn();
        secretArns.put(role + "/" + target, arn);
    }

    /** @return an S3 client on the local endpoint; the caller closes it */
    public S3Client s3Client() {
        return new AwsClients(awsEnvironment()).s3();
    }

    /**
     * Makes the bucket hold exactly the files of a directory laid out like {@code examples/} ({@code postgres/},
     * {@code mongodb/}, {@code elasticsearch/}): objects without a file are deleted, changed files uploaded, unchanged
     * ones (same MD5 as the object's ETag) left alone.
     *
     * @param dir the directory
     * @return the number of files uploaded
     */
    public int uploadMigrations(Path dir) {
        int count = 0;
        try (S3Client client = s3Client()) {
            java.util.Set<String> wanted = new java.util.HashSet<>();
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(Files::isRegularFile).forEach(f -> wanted.add(dir.relativize(f).toString().replace('\\', '/')));
            }
            Map<String, String> present = new java.util.HashMap<>();
            for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
                if (o.key().endsWith("/")) {
                    continue; // a directory of S3Proxy's filesystem store, not an object
                }
                if (!wanted.contains(o.key())) {
                    client.deleteObject(b -> b.bucket(BUCKET).key(o.key()));
                } else {
                    present.put(o.key(), o.eTag().replace("\"", ""));
                }
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    String key = dir.relativize(f).toString().replace('\\', '/');
                    byte[] bytes = Files.readAllBytes(f);
                    count++;
                    if (md5(bytes).equals(present.get(key))) {
                        continue;
                    }
                    client.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(bytes));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir, e);
        }
        return count;
    }

    private static String md5(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The environment every function gets locally: what template.yaml sets (targets, lock settings, Powertools) with
     * local endpoints, secret ARNs and the S3 location of the uploaded migrations.
     *
     * @return environment variables
     */
    public Map<String, String> functionEnvironment() {
        return functionEnvironment("UpgradeFunction");
    }

    /**
     * The environment of one function, as template.yaml gives it: the bulk functions' targets carry the reader's
     * (bulk-export) or the loader's (bulk-import) secrets, the erasure function's the eraser's, the others the migrator's.
     *
     * @param logicalId the function's logical id in template.yaml
     * @return environment variables
     */
    public Map<String, String> functionEnvironment(String logicalId) {
        String role = switch (logicalId) {
            case "BulkExportFunction" -> READER;
            case "BulkImportFunction" -> LOADER;
            case "ErasureFunction" -> ERASER;
            default -> MIGRATOR;
        };
        Map<String, String> env = awsEnvironment();
        env.put("TIDEMARK_TARGETS", "[" + String.join(",", target(role, POSTGRES_TARGET, "postgres"), target(role, MONGO_TARGET, "mongodb"),
            target(role, ELASTIC_TARGET, "elasticsearch")) + "]");
        env.put("TIDEMARK_CONTINUATION_KEY_SECRET_ID", continuationKeyArn);
        env.put("TIDEMARK_ERASURE_KEY_SECRET_ID", erasureKeyArn);
        env.put("TIDEMARK_LOCK_WAIT_SECONDS", "30");
        env.put("TIDEMARK_LEASE_SECONDS", "60");
        env.put("TIDEMARK_BULK_BUCKET", BULK_BUCKET);
        env.put("TIDEMARK_RECEIPT_BUCKET", RECEIPT_BUCKET);
        env.put("TIDEMARK_ERASURE_REQUEST_BUCKET", REQUEST_BUCKET);
        env.put("TIDEMARK_AUDIT_BUCKET", RECEIPT_BUCKET);
        env.put("TIDEMARK_ERASURE_TARGETS", String.join(",", POSTGRES_TARGET, MONGO_TARGET, ELASTIC_TARGET));
        env.put("TIDEMARK_BULK_MARGIN_SECONDS", "60");
        env.put("POWERTOOLS_SERVICE_NAME", "tidemark");
        env.put("POWERTOOLS_METRICS_NAMESPACE", "Tidemark");
        return env;
    }

    private String target(String role, String name, String store) {
        return "{\"name\":\"" + name + "\",\"store\":\"" + store + "\",\"secretId\":\"" + secretArns.get(role + "/" + name) + "\",\"location\":\"s3://"
            + BUCKET + "/" + store + "\"}";
    }

    /** @return the PostgreSQL server */
    public PostgresServer postgres() {
        return postgres;
    }

    /** @return the MongoDB server */
    public MongoServer mongo() {
        return mongo;
    }

    /** @return the Elasticsearch node */
    public ElasticsearchServer elastic() {
        return elastic;
    }

    /**
     * Stops the MongoDB server, as an outage would (tests: a store down mid-request); {@link #restartMongo()} brings it back.
     */
    void stopMongo() {
        synchronized (started) {
            started.remove(mongo);
        }
        mongo.close();
    }

    /**
     * Starts the MongoDB server again on the same port (in memory: empty, unless the stack keeps its data).
     *
     * @return the new server
     */
    MongoServer restartMongo() {
        int port = java.net.URI.create(mongo.uri()).getPort();
        mongo = MongoServer.start(null, port);
        synchronized (started) {
            started.add(mongo);
        }
        return mongo;
    }

    /** @return the password in the PostgreSQL secret (tests check it never leaks) */
    public String postgresPassword() {
        return postgresPassword;
    }

    /**
     * Deletes a data directory (the {@code --fresh} flag).
     *
     * @param dir the directory; nothing happens when it does not exist
     */
    public static void deleteData(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    @Override
    public void close() {
        List<AutoCloseable> servers;
        synchronized (started) {
            servers = new ArrayList<>(started);
            started.clear();
        }
        for (AutoCloseable s : servers.reversed()) {
            try {
                s.close();
            } catch (Exception e) {
                System.err.println("stopping " + s.getClass().getSimpleName() + " failed: " + e.getMessage());
            }
        }
    }
}
