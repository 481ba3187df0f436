package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.ManifestMismatchException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.TransferFailedException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.Store;
import dev.tidemark.postgres.SqlStates;
import dev.tidemark.secrets.ConnectionSecrets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * Bulk export from a target to S3 and import from S3 into a target, one invocation at a time: each call works until its
 * {@link Budget} and returns a {@link BulkOutcome} whose continuation the next call resumes from. Exports write parts
 * of about {@code partSizeMb} (stored bytes), each a complete file; a part cut short by the hard limit is aborted and
 * written again by the next call, so a resumed export writes exactly the parts (and SHA-256s) of an uninterrupted one.
 * Imports first verify every part against the manifest (phase {@code verify}), then load them (phase {@code load}).
 * Errors: {@link ValidationException} for bad input (nothing changed), {@link ManifestMismatchException},
 * {@link TransferFailedException} (with the token to resume from) when a store or S3 fails mid-way.
 */
public final class BulkService {

    private static final Logger LOG = LoggerFactory.getLogger(BulkService.class);

    /** Size of each S3 upload chunk: 8 MiB. */
    public static final int CHUNK = 8 * 1024 * 1024;

    /** Threads that prepare the destination and the manifest beside a transfer; daemons, so they never hold a JVM. */
    private static final java.util.concurrent.ExecutorService BACKGROUND = java.util.concurrent.Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "tidemark-bulk");
        t.setDaemon(true);
        return t;
    });

    private final EngineFactory engines;
    private final java.util.function.Supplier<S3Client> s3;
    private final String bucket;
    private final ContinuationCodec tokens;

    /**
     * @param engines the targets and their secrets
     * @param s3 the S3 client
     * @param bucket the bulk bucket, the only one bulk data moves through ({@code TIDEMARK_BULK_BUCKET})
     * @param tokens seals and opens continuation tokens
     */
    public BulkService(EngineFactory engines, S3Client s3, String bucket, ContinuationCodec tokens) {
        this(engines, () -> s3, bucket, tokens);
    }

    /**
     * @param engines the targets and their secrets
     * @param s3 gives the S3 client, called on a background thread when a new export starts, so that building the
     *           client overlaps opening the source; must return the same client every time
     * @param bucket the bulk bucket ({@code TIDEMARK_BULK_BUCKET})
     * @param tokens seals and opens continuation tokens
     */
    public BulkService(EngineFactory engines, java.util.function.Supplier<S3Client> s3, String bucket, ContinuationCodec tokens) {
        this.engines = engines;
        this.s3 = s3;
        this.bucket = bucket;
        this.tokens = tokens;
    }

    private S3Client s3() {
        return s3.get();
    }

    /**
     * Loads and links what every transfer uses, without touching the network: Jackson's (de)serializers of the manifest,
     * continuation and result, gzip, SHA-256, the JDBC driver. The bulk functions call it at init, so that SnapStart's
     * snapshot holds it (AWS calls this priming); otherwise the first invocation pays a few hundred milliseconds for it.
     */
    public static void prime() {
        try {
            Manifest m = new Manifest(Manifest.FORMAT_VERSION, BulkFormat.CSV, Compression.GZIP, new Manifest.Source(Store.POSTGRES, "t", "t", null,
                null, java.util.List.of("id")), "1", java.util.List.of(new Manifest.Part(Manifest.partFile(1, BulkFormat.CSV, Compression.GZIP), 1,
                1, "0")), 1, 1, Instant.now(), Instant.now(), TidemarkVersion.get());
            Json.MAPPER.readValue(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(m), Manifest.class);
            Continuation c = new Continuation(Continuation.EXPORT, 2, Json.MAPPER.createArrayNode().add("1"), null);
            new BulkOutcome(false, c, "t", new BulkResult("export", "t", "s3://b/p/", Continuation.EXPORT, 1, 1, 1, 1, 1, 1))
                .nextEvent(Json.MAPPER.readTree("{\"target\": \"t\"}"));
            ExactJson.write(ExactJson.read("{\"_id\": \"1\", \"_source\": {\"n\": 1.5}}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            try (java.io.OutputStream gz = Compression.GZIP.compress(java.io.OutputStream.nullOutputStream())) {
                gz.write(new byte[] {1});
            }
            java.security.MessageDigest.getInstance("SHA-256").digest(new byte[] {1});
            Class.forName("org.postgresql.Driver");
        } catch (IOException | ClassNotFoundException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("priming the bulk service: " + e.getMessage(), e);
        }
    }

    /** @param event a bulk-export event @return the request @throws ValidationException naming the bad field */
    public ExportRequest exportRequest(JsonNode event) {
        return ExportRequest.parse(event, engines.config(), bucket, tokens);
    }

    /** @param event a bulk-import event @return the request @throws ValidationException naming the bad field */
    public ImportRequest importRequest(JsonNode event) {
        return ImportRequest.parse(event, engines.config(), bucket, tokens);
    }

    /**
     * What an invocation returns.
     *
     * @param done whether the export or import is complete
     * @param continuation where the next invocation resumes, or {@code null} when done
     * @param token {@code continuation} sealed for the next event ({@link ContinuationCodec}), or {@code null} when done
     * @param result what this invocation did
     */
    public record BulkOutcome(boolean done, Continuation continuation, String token, BulkResult result) {

        /**
         * @param event the invocation's event
         * @return the function's output: the event with {@code continuation}, {@code done} and {@code result} set, ready to
         *         be sent again as it is (the state machines loop on {@code done})
         */
        public com.fasterxml.jackson.databind.node.ObjectNode nextEvent(JsonNode event) {
            com.fasterxml.jackson.databind.node.ObjectNode out = ((com.fasterxml.jackson.databind.node.ObjectNode) event).deepCopy();
            if (token == null) {
                out.putNull("continuation");
            } else {
                out.put("continuation", token);
            }
            out.put("done", done);
            out.set("result", Json.MAPPER.valueToTree(result));
            return out;
        }
    }

    // ------------------------------------------------------------------ export

    /**
     * Exports until done or until the budget is spent.
     *
     * @param r the request
     * @param budget this invocation's time
     * @return the outcome
     */
    public BulkOutcome export(ExportRequest r, Budget budget) {
        long t0 = System.nanoTime();
        S3Uri folder = r.destination();
        Continuation c = r.continuation();
        Manifest manifest = null;
        // a new export checks its destination and looks up the schema version beside opening and reading the source;
        // nothing reaches S3 before the check has passed
        CompletableFuture<S3Client> ready;
        CompletableFuture<String> version = null;
        if (c == null) {
            ready = CompletableFuture.supplyAsync(() -> {
                destinationFree(folder);
                return s3();
            }, BACKGROUND);
            version = CompletableFuture.supplyAsync(() -> schemaVersion(r.target()), BACKGROUND);
            c = new Continuation(Continuation.EXPORT, 1, null, null);
        } else {
            manifest = readManifest(folder, Manifest.PARTIAL_FILE, "continuation");
            if (c.anchor() == null || !c.anchor().equals(String.valueOf(manifest.startedAt()))) {
                throw new ValidationException("continuation: belongs to another export to " + folder + " (an earlier one, or one started again)");
            }
            if (manifest.parts().size() < c.part() - 1) {
                throw new ValidationException("continuation.part: " + c.part() + " does not follow the " + manifest.parts().size()
                    + " part(s) of " + folder + Manifest.PARTIAL_FILE);
            }
            // an older token (a retried invocation): the parts after it are written again, byte for byte
            manifest = manifest.upTo(c.part() - 1);
            ready = CompletableFuture.completedFuture(s3());
        }
        java.util.function.Supplier<S3Client> s3 = () -> join(ready);
        boolean partialWritten = c.part() > 1;
        long records = 0;
        long bytes = 0;
        JsonNode cursor = c.cursor();
        try (RecordSource source = openSource(r, cursor, budget)) {
            if (manifest == null) {
                manifest = new Manifest(Manifest.FORMAT_VERSION, r.format(), r.compression(), new Manifest.Source(r.target().store(),
                    r.target().name(), r.source().name(), r.source().query(), r.source().projection(), source.key()), null,
                    java.util.List.of(), 0, 0, Instant.now(), null, TidemarkVersion.get());
            }
            int startParts = manifest.parts().size();
            byte[] header = source.header();
            byte[] record = source.next();
            while (record != null) {
                int number = manifest.parts().size() + 1;
                PartWriter part = new PartWriter(s3, folder, Manifest.partFile(number, r.format(), r.compression()), r.compression(),
                    r.compressionLevel(), CHUNK, header);
                Throttle throttle = new Throttle(r.throughput().maxRowsPerSecond());
                boolean full = false;
                try {
                    while (record != null && !full) {
                        part.write(record);
                        throttle.acquire(1);
                        if ((part.rows() & 1023) == 0 && budget.hardPassed() && manifest.parts().size() > startParts && source.resumable()) {
                            part.abort();
                            return stopped(r, manifest, cursor, records, bytes, t0, "the hard time limit came in part " + number);
                        }
                        full = part.storedBytes() >= r.partSizeBytes();
                        if (!full) {
                            record = source.next();
                        }
                    }
                    Manifest.Part done = part.finish();
                    cursor = source.cursor();
                    manifest = stamp(manifest.with(done), version);
                    records += done.rows();
                    bytes += done.bytes();
                } catch (RuntimeException e) {
                    part.abort();
                    throw failed(e, "export of part " + number, manifest.parts().size() == startParts && !partialWritten ? null
                        : new Continuation(Continuation.EXPORT, manifest.parts().size() + 1, cursor, null), r.binding(), manifest.startedAt());
                }
                LOG.info("export {}: part {} with {} records", r.target().name(), number, manifest.parts().getLast().rows());
                if (!full) {
                    break; // the source is exhausted: the final manifest follows, no partial one is needed
                }
                putJson(folder.key(Manifest.PARTIAL_FILE), manifest);
                partialWritten = true;
                if (budget.softPassed() && source.resumable()) {
                    return stopped(r, manifest, cursor, records, bytes, t0, "time budget spent");
                }
                record = source.next();
            }
        } catch (RuntimeException e) {
            throw failed(e, "export", manifest == null || !partialWritten ? null
                : new Continuation(Continuation.EXPORT, manifest.parts().size() + 1, cursor, null), r.binding(),
                manifest == null ? null : manifest.startedAt());
        }
        join(ready);
        manifest = stamp(manifest, version).finished(Instant.now());
        putJson(folder.key(Manifest.FILE), manifest);
        if (partialWritten) {
            s3().deleteObject(b -> b.bucket(folder.bucket()).key(folder.key(Manifest.PARTIAL_FILE)));
        }
        LOG.info("export {}: done, {} parts, {} records", r.target().name(), manifest.parts().size(), manifest.totalRows());
        return new BulkOutcome(true, null, null, new BulkResult("export", r.target().name(), folder.toString(), "done", manifest.parts().size(),
            manifest.parts().size(), records, manifest.totalRows(), bytes, millis(t0)));
    }

    /** @return {@code m} with the source's schema version, once looked up (a new export's first manifest) */
    private static Manifest stamp(Manifest m, CompletableFuture<String> version) {
        return version == null || m.sourceSchemaVersion() != null ? m : m.withSchemaVersion(join(version));
    }

    /** @return the future's value; its failure rethrown as it was raised */
    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** @throws ValidationException when the folder already holds an export's manifest, final or partial */
    private void destinationFree(S3Uri folder) {
        String prefix = folder.key("manifest.");
        boolean taken;
        try {
            taken = s3().listObjectsV2(b -> b.bucket(folder.bucket()).prefix(prefix)).contents().stream()
                .anyMatch(o -> o.key().equals(folder.key(Manifest.FILE)) || o.key().equals(folder.key(Manifest.PARTIAL_FILE)));
        } catch (S3Exception e) {
            throw new ConnectionException(folder + ": " + e.getMessage(), e);
        }
        if (taken) {
            throw new ValidationException("destination: " + folder + " already holds an export (" + Manifest.FILE + " or "
                + Manifest.PARTIAL_FILE + "); choose another prefix or send its continuation");
        }
    }

    private BulkOutcome stopped(ExportRequest r, Manifest m, JsonNode cursor, long records, long bytes, long t0, String why) {
        LOG.info("export {}: stopping after {} part(s): {}", r.target().name(), m.parts().size(), why);
        Continuation next = new Continuation(Continuation.EXPORT, m.parts().size() + 1, cursor, null).anchoredTo(m.startedAt());
        return new BulkOutcome(false, next, tokens.seal(next, r.binding()), new BulkResult("export",
            r.target().name(), r.destination().toString(), Continuation.EXPORT, m.parts().size(), null, records, m.totalRows(), bytes, millis(t0)));
    }

    private TidemarkException failed(RuntimeException e, String what, Continuation resume, String binding, Instant anchor) {
        if (e instanceof TidemarkException t && !(e instanceof ConnectionException)
            && !(e instanceof TransferFailedException f && f.continuation() == null)) {
            return t; // bad input, a lying manifest, a secret: nothing to resume
        }
        boolean retryable = !(e instanceof TidemarkException t) || t.retryable();
        String token = resume == null ? null : tokens.seal(resume.anchoredTo(anchor), binding);
        return retryable ? new dev.tidemark.error.TransferInterruptedException(what + " failed: " + e.getMessage(), token, e)
            : new TransferFailedException(what + " failed: " + e.getMessage(), token, false, e);
    }

    private String schemaVersion(TargetConfig target) {
        try (MigrationEngine engine = engines.open(target)) {
            var v = engine.info().currentVersion();
            return v == null ? null : v.toString();
        } catch (Exception e) {
            LOG.info("export {}: no schema version recorded ({})", target.name(), e.getMessage());
            return null;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // the original error is reported
        }
    }

    private RecordSource openSource(ExportRequest r, JsonNode cursor, Budget budget) {
        TargetConfig t = r.target();
        String secret = engines.secret(t);
        return switch (t.store()) {
            case POSTGRES -> {
                Connection c = postgres(t, secret);
                try {
                    yield PostgresBulk.export(c, r, cursor, budget.hardRemainingMillis());
                } catch (RuntimeException e) {
                    closeQuietly(c);
                    throw e;
                }
            }
            case MONGODB -> {
                ConnectionSecrets.Mongo m = mongo(t, secret);
                yield MongoBulk.export(EngineFactory.mongoClient(m), m.database(), r, cursor);
            }
            case ELASTICSEARCH -> ElasticBulk.export(new ElasticClient(ConnectionSecrets.elastic(t.secretId(), secret)), r, cursor);
        };
    }

    /** @throws ValidationException naming {@code target} when its database is one of MongoDB's system databases */
    private static ConnectionSecrets.Mongo mongo(TargetConfig t, String secret) {
        ConnectionSecrets.Mongo m = ConnectionSecrets.mongo(t.secretId(), secret, t.database());
        if (Internals.MONGO_SYSTEM_DATABASES.contains(m.database())) {
            throw new ValidationException("target: '" + t.name() + "' uses MongoDB's system database '" + m.database() + "', never a bulk "
                + "source or destination");
        }
        return m;
    }

    private static Connection postgres(TargetConfig t, String secret) {
        ConnectionSecrets.Postgres p = ConnectionSecrets.postgres(t.secretId(), secret, t.database());
        try {
            return p.open("tidemark-bulk");
        } catch (SQLException e) {
            LOG.warn("postgres target '{}': cannot connect: {}", t.name(), SqlStates.describe(e));
            throw SqlStates.transientState(e.getSQLState()) || e.getSQLState() == null
                ? new ConnectionException("postgres target '" + t.name() + "': cannot connect (" + SqlStates.describe(e) + ")", e)
                : new TransferFailedException("postgres target '" + t.name() + "': the server refused the connection ("
                    + SqlStates.describe(e) + ")", null, false, e);
        }
    }

    // ------------------------------------------------------------------ import

    /**
     * Verifies, then imports, until done or until the budget is spent.
     *
     * @param r the request
     * @param budget this invocation's time
     * @return the outcome
     */
    public BulkOutcome importData(ImportRequest r, Budget budget) {
        long t0 = System.nanoTime();
        S3Uri folder = r.source();
        Manifest manifest = readManifest(folder, Manifest.FILE, "source");
        if (manifest.formatVersion() != Manifest.FORMAT_VERSION) {
            throw new ValidationException("source: manifest formatVersion " + manifest.formatVersion() + " is not " + Manifest.FORMAT_VERSION);
        }
        if (manifest.format() == BulkFormat.CSV && r.store() != Store.POSTGRES) {
            throw new ValidationException("source: the data is csv, which only PostgreSQL imports; export it as ndjson");
        }
        long sum = manifest.parts().stream().mapToLong(Manifest.Part::rows).sum();
        if (sum != manifest.totalRows()) {
            throw new ManifestMismatchException("source: the manifest's parts hold " + sum + " records, its totalRows says " + manifest.totalRows());
        }
        Continuation c = r.continuation() == null ? new Continuation(Continuation.VERIFY, 1, null, null) : r.continuation();
        if (r.continuation() != null && (c.anchor() == null || !c.anchor().equals(String.valueOf(manifest.startedAt())))) {
            throw new ValidationException("continuation: belongs to an import of another export (the manifest in " + folder + " differs)");
        }
        if (c.part() > manifest.parts().size() + 1) {
            throw new ValidationException("continuation.part: " + c.part() + " is past the manifest's " + manifest.parts().size() + " part(s)");
        }
        long bytes = 0;
        long records = 0;
        try (RecordSink sink = openSink(r, manifest)) {
            // a transactional sink loads the first part while the others are verified, and commits it only once all are
            CompletableFuture<Integer> verifying = null;
            if (c.phase().equals(Continuation.VERIFY) && c.part() == 1 && sink.transactional() && r.mode() != ImportMode.REPLACE
                && !manifest.parts().isEmpty()) {
                Manifest m = manifest;
                verifying = CompletableFuture.supplyAsync(() -> verify(folder, m, 1, budget), BACKGROUND);
                c = new Continuation(Continuation.LOAD, 1, null, null);
            } else if (c.phase().equals(Continuation.VERIFY)) {
                int unverified = verify(folder, manifest, c.part(), budget);
                bytes += manifest.parts().subList(c.part() - 1, unverified - 1).stream().mapToLong(Manifest.Part::bytes).sum();
                if (unverified <= manifest.parts().size()) {
                    return importStopped(r, manifest, new Continuation(Continuation.VERIFY, unverified, null, null), 0, bytes, t0);
                }
                c = new Continuation(Continuation.LOAD, 1, null, null);
                if (budget.softPassed() && !manifest.parts().isEmpty()) {
                    return importStopped(r, manifest, c, 0, bytes, t0);
                }
            }
            String stage = c.stage();
            if (c.part() == 1 && stage == null) {
                stage = sink.begin();
            } else if (c.phase().equals(Continuation.LOAD) && (stage != null || r.mode() == ImportMode.REPLACE)) {
                sink.checkStage(stage); // a verified token's stage, checked again against the destination
            }
            for (int i = c.part(); i <= manifest.parts().size(); i++) {
                Continuation here = new Continuation(Continuation.LOAD, i, null, stage);
                if (i > c.part() && budget.softPassed()) {
                    return importStopped(r, manifest, here, records, bytes, t0);
                }
                Manifest.Part part = manifest.parts().get(i - 1);
                long loaded;
                boolean overlapped = verifying != null;
                try (PartCheck check = new PartCheck(get(folder, part), part, manifest.compression())) {
                    if (overlapped) {
                        CompletableFuture<Integer> all = verifying;
                        verifying = null;
                        int parts = manifest.parts().size();
                        loaded = sink.load(part, check, stage, () -> join(all) > parts);
                        if (loaded < 0) {
                            return importStopped(r, manifest, new Continuation(Continuation.VERIFY, join(all), null, null), 0, bytes, t0);
                        }
                    } else {
                        loaded = sink.load(part, check, stage);
                    }
                } catch (RuntimeException e) {
                    // while the other parts were still being verified, a retry starts with their verification again
                    throw failed(e, "import of " + part.file() + " into " + r.name(),
                        overlapped ? new Continuation(Continuation.VERIFY, 1, null, null) : here, r.binding(), manifest.startedAt());
                }
                records += loaded;
                bytes += part.bytes();
                LOG.info("import {}: loaded {} ({} records)", r.target().name(), part.file(), part.rows());
            }
            try {
                sink.finish(stage);
            } catch (RuntimeException e) {
                throw failed(e, "import: finishing " + r.mode().name().toLowerCase() + " of " + r.name(),
                    new Continuation(Continuation.LOAD, manifest.parts().size() + 1, null, stage), r.binding(), manifest.startedAt());
            }
        }
        LOG.info("import {}: done, {} parts, {} records into {}", r.target().name(), manifest.parts().size(), manifest.totalRows(), r.name());
        return new BulkOutcome(true, null, null, new BulkResult("import", r.target().name(), folder.toString(), "done", manifest.parts().size(),
            manifest.parts().size(), records, manifest.totalRows(), bytes, millis(t0)));
    }

    /**
     * Checks parts against the manifest (size, SHA-256, records), from part {@code from} on, until all are checked or the
     * budget's soft limit passes.
     *
     * @return the number of the first part left unchecked ({@code parts + 1} when all are)
     * @throws ManifestMismatchException naming the first part that differs
     */
    private int verify(S3Uri folder, Manifest manifest, int from, Budget budget) {
        for (int i = from; i <= manifest.parts().size(); i++) {
            if (i > from && budget.softPassed()) {
                return i;
            }
            Manifest.Part part = manifest.parts().get(i - 1);
            try (PartCheck check = new PartCheck(get(folder, part), part, manifest.compression())) {
                check.verify(check.countRecords(manifest.format()));
            }
        }
        return manifest.parts().size() + 1;
    }

    private BulkOutcome importStopped(ImportRequest r, Manifest m, Continuation next, long records, long bytes, long t0) {
        LOG.info("import {}: stopping before part {} of phase {}: time budget spent", r.target().name(), next.part(), next.phase());
        Continuation anchored = next.anchoredTo(m.startedAt());
        return new BulkOutcome(false, anchored, tokens.seal(anchored, r.binding()), new BulkResult("import", r.target().name(), r.source().toString(), next.phase(), next.part() - 1,
            m.parts().size(), records, m.totalRows(), bytes, millis(t0)));
    }

    private RecordSink openSink(ImportRequest r, Manifest manifest) {
        TargetConfig t = r.target();
        String secret = engines.secret(t);
        Throttle throttle = new Throttle(r.throughput().maxRowsPerSecond());
        return switch (t.store()) {
            case POSTGRES -> {
                if (r.throughput().maxRowsPerSecond() > 0) {
                    throw new ValidationException("maxRowsPerSecond: PostgreSQL imports a part per COPY and cannot pace rows; leave it 0");
                }
                yield new PostgresBulk.Sink(postgres(t, secret), r, manifest);
            }
            case MONGODB -> {
                ConnectionSecrets.Mongo m = mongo(t, secret);
                yield new MongoBulk.Sink(EngineFactory.mongoClient(m), m.database(), r, manifest, throttle);
            }
            case ELASTICSEARCH -> new ElasticBulk.Sink(new ElasticClient(ConnectionSecrets.elastic(t.secretId(), secret)), r, manifest, throttle);
        };
    }

    // ------------------------------------------------------------------ S3

    private InputStream get(S3Uri folder, Manifest.Part part) {
        try {
            return s3().getObject(b -> b.bucket(folder.bucket()).key(folder.key(part.file())), ResponseTransformer.toInputStream());
        } catch (NoSuchKeyException e) {
            throw new ManifestMismatchException("part " + part.file() + ": listed in the manifest but not in " + folder);
        }
    }

    private Manifest readManifest(S3Uri folder, String file, String field) {
        byte[] bytes;
        try {
            bytes = s3().getObjectAsBytes(b -> b.bucket(folder.bucket()).key(folder.key(file))).asByteArray();
        } catch (NoSuchKeyException e) {
            throw new ValidationException(field + ": no " + file + " in " + folder + (file.equals(Manifest.FILE) ? "; is the export finished?" : ""));
        } catch (S3Exception e) {
            throw new ConnectionException(folder + file + ": " + e.getMessage(), e);
        }
        try {
            Manifest m = Json.MAPPER.readValue(bytes, Manifest.class);
            if (m.format() == null || m.compression() == null || m.parts() == null || m.startedAt() == null) {
                throw new ValidationException(field + ": " + folder + file + " lacks format, compression, parts or startedAt");
            }
            // parts are named by their place: no path segment, no part listed twice, none out of order
            for (int i = 0; i < m.parts().size(); i++) {
                Manifest.Part p = m.parts().get(i);
                String expected = Manifest.partFile(i + 1, m.format(), m.compression());
                if (p == null || !expected.equals(p.file()) || p.rows() < 0 || p.bytes() < 0 || p.sha256() == null
                    || !p.sha256().matches("[0-9a-f]{64}")) {
                    throw new ValidationException(field + ": " + folder + file + ": part " + (i + 1) + " is not " + expected
                        + " with rows, bytes and a SHA-256");
                }
            }
            return m;
        } catch (IOException e) {
            throw new ValidationException(field + ": " + folder + file + " is not a Tidemark manifest (malformed JSON or unknown fields)");
        }
    }

    private void putJson(String key, Object value) {
        try {
            s3().putObject(b -> b.bucket(bucket).key(key).contentType("application/json"),
                RequestBody.fromBytes(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long millis(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
