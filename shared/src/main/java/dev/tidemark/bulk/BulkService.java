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
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;

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

    private final EngineFactory engines;
    private final S3Client s3;
    private final String bucket;

    /**
     * @param engines the targets and their secrets
     * @param s3 the S3 client
     * @param bucket the bulk bucket, the only one bulk data moves through ({@code TIDEMARK_BULK_BUCKET})
     */
    public BulkService(EngineFactory engines, S3Client s3, String bucket) {
        this.engines = engines;
        this.s3 = s3;
        this.bucket = bucket;
    }

    /** @param event a bulk-export event @return the request @throws ValidationException naming the bad field */
    public ExportRequest exportRequest(JsonNode event) {
        return ExportRequest.parse(event, engines.config(), bucket);
    }

    /** @param event a bulk-import event @return the request @throws ValidationException naming the bad field */
    public ImportRequest importRequest(JsonNode event) {
        return ImportRequest.parse(event, engines.config(), bucket);
    }

    /**
     * What an invocation returns.
     *
     * @param done whether the export or import is complete
     * @param continuation where the next invocation resumes, or {@code null} when done
     * @param result what this invocation did
     */
    public record BulkOutcome(boolean done, Continuation continuation, BulkResult result) {

        /**
         * @param event the invocation's event
         * @return the function's output: the event with {@code continuation}, {@code done} and {@code result} set, ready to
         *         be sent again as it is (the state machines loop on {@code done})
         */
        public com.fasterxml.jackson.databind.node.ObjectNode nextEvent(JsonNode event) {
            com.fasterxml.jackson.databind.node.ObjectNode out = ((com.fasterxml.jackson.databind.node.ObjectNode) event).deepCopy();
            out.set("continuation", Json.MAPPER.valueToTree(continuation));
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
        if (c == null) {
            if (exists(folder.key(Manifest.FILE)) || exists(folder.key(Manifest.PARTIAL_FILE))) {
                throw new ValidationException("destination: " + folder + " already holds an export (" + Manifest.FILE + " or "
                    + Manifest.PARTIAL_FILE + "); choose another prefix or send its continuation");
            }
            c = new Continuation(Continuation.EXPORT, 1, null, null);
        } else {
            manifest = readManifest(folder, Manifest.PARTIAL_FILE, "continuation");
            if (manifest.parts().size() < c.part() - 1) {
                throw new ValidationException("continuation.part: " + c.part() + " does not follow the " + manifest.parts().size()
                    + " part(s) of " + folder + Manifest.PARTIAL_FILE);
            }
            // an older token (a retried invocation): the parts after it are written again, byte for byte
            manifest = manifest.upTo(c.part() - 1);
        }
        long records = 0;
        long bytes = 0;
        JsonNode cursor = c.cursor();
        try (RecordSource source = openSource(r, cursor)) {
            if (manifest == null) {
                manifest = new Manifest(Manifest.FORMAT_VERSION, r.format(), r.compression(), new Manifest.Source(r.target().store(),
                    r.target().name(), r.source().name(), r.source().query(), r.source().projection(), source.key()), schemaVersion(r.target()),
                    java.util.List.of(), 0, 0, Instant.now(), null, TidemarkVersion.get());
            }
            int startParts = manifest.parts().size();
            byte[] header = source.header();
            byte[] record = source.next();
            while (record != null) {
                int number = manifest.parts().size() + 1;
                PartWriter part = new PartWriter(s3, folder, Manifest.partFile(number, r.format(), r.compression()), r.compression(), CHUNK, header);
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
                } catch (RuntimeException e) {
                    part.abort();
                    throw failed(e, "export of part " + number, manifest.parts().isEmpty() ? null
                        : new Continuation(Continuation.EXPORT, manifest.parts().size() + 1, cursor, null));
                }
                Manifest.Part done = part.finish();
                cursor = source.cursor();
                manifest = manifest.with(done);
                records += done.rows();
                bytes += done.bytes();
                putJson(folder.key(Manifest.PARTIAL_FILE), manifest);
                LOG.info("export {}: part {} with {} records, {} bytes", r.target().name(), done.file(), done.rows(), done.bytes());
                if (full) {
                    if (budget.softPassed() && source.resumable()) {
                        return stopped(r, manifest, cursor, records, bytes, t0, "time budget spent");
                    }
                    record = source.next();
                }
            }
        } catch (RuntimeException e) {
            throw failed(e, "export", manifest == null || manifest.parts().isEmpty() ? null
                : new Continuation(Continuation.EXPORT, manifest.parts().size() + 1, cursor, null));
        }
        manifest = manifest.finished(Instant.now());
        putJson(folder.key(Manifest.FILE), manifest);
        s3.deleteObject(b -> b.bucket(folder.bucket()).key(folder.key(Manifest.PARTIAL_FILE)));
        LOG.info("export {}: done, {} parts, {} records", r.target().name(), manifest.parts().size(), manifest.totalRows());
        return new BulkOutcome(true, null, new BulkResult("export", r.target().name(), folder.toString(), "done", manifest.parts().size(),
            manifest.parts().size(), records, manifest.totalRows(), bytes, millis(t0)));
    }

    private BulkOutcome stopped(ExportRequest r, Manifest m, JsonNode cursor, long records, long bytes, long t0, String why) {
        LOG.info("export {}: stopping after {} part(s): {}", r.target().name(), m.parts().size(), why);
        return new BulkOutcome(false, new Continuation(Continuation.EXPORT, m.parts().size() + 1, cursor, null), new BulkResult("export",
            r.target().name(), r.destination().toString(), Continuation.EXPORT, m.parts().size(), null, records, m.totalRows(), bytes, millis(t0)));
    }

    private static TidemarkException failed(RuntimeException e, String what, Continuation resume) {
        if (e instanceof TidemarkException t && !(e instanceof ConnectionException)) {
            return t; // bad input, a lying manifest, a secret: nothing to resume
        }
        boolean retryable = !(e instanceof TidemarkException t) || t.retryable();
        return new TransferFailedException(what + " failed: " + e.getMessage(), resume == null ? null : resume.toString(), retryable, e);
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

    private RecordSource openSource(ExportRequest r, JsonNode cursor) {
        TargetConfig t = r.target();
        String secret = engines.secret(t);
        return switch (t.store()) {
            case POSTGRES -> PostgresBulk.export(postgres(t, secret), r, cursor);
            case MONGODB -> {
                ConnectionSecrets.Mongo m = ConnectionSecrets.mongo(t.secretId(), secret, t.database());
                yield MongoBulk.export(EngineFactory.mongoClient(m), m.database(), r, cursor);
            }
            case ELASTICSEARCH -> ElasticBulk.export(new ElasticClient(ConnectionSecrets.elastic(t.secretId(), secret)), r, cursor);
        };
    }

    private static Connection postgres(TargetConfig t, String secret) {
        ConnectionSecrets.Postgres p = ConnectionSecrets.postgres(t.secretId(), secret, t.database());
        try {
            return DriverManager.getConnection(p.jdbcUrl(), p.username(), p.password());
        } catch (SQLException e) {
            throw new ConnectionException("postgres target '" + t.name() + "' at " + p.host() + ":" + p.port() + ": " + e.getMessage(), e);
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
        if (c.part() > manifest.parts().size() + 1) {
            throw new ValidationException("continuation.part: " + c.part() + " is past the manifest's " + manifest.parts().size() + " part(s)");
        }
        long bytes = 0;
        if (c.phase().equals(Continuation.VERIFY)) {
            for (int i = c.part(); i <= manifest.parts().size(); i++) {
                if (i > c.part() && budget.softPassed()) {
                    return importStopped(r, manifest, new Continuation(Continuation.VERIFY, i, null, null), 0, bytes, t0);
                }
                Manifest.Part part = manifest.parts().get(i - 1);
                try (PartCheck check = new PartCheck(get(folder, part), part, manifest.compression())) {
                    check.verify(check.countRecords(manifest.format()));
                }
                bytes += part.bytes();
            }
            c = new Continuation(Continuation.LOAD, 1, null, null);
            if (budget.softPassed() && !manifest.parts().isEmpty()) {
                return importStopped(r, manifest, c, 0, bytes, t0);
            }
        }
        long records = 0;
        try (RecordSink sink = openSink(r, manifest)) {
            String stage = c.stage();
            if (c.part() == 1 && stage == null) {
                stage = sink.begin();
            }
            for (int i = c.part(); i <= manifest.parts().size(); i++) {
                Continuation here = new Continuation(Continuation.LOAD, i, null, stage);
                if (i > c.part() && budget.softPassed()) {
                    return importStopped(r, manifest, here, records, bytes, t0);
                }
                Manifest.Part part = manifest.parts().get(i - 1);
                try (PartCheck check = new PartCheck(get(folder, part), part, manifest.compression())) {
                    records += sink.load(part, check, stage);
                } catch (RuntimeException e) {
                    throw failed(e, "import of " + part.file() + " into " + r.name(), here);
                }
                bytes += part.bytes();
                LOG.info("import {}: loaded {} ({} records)", r.target().name(), part.file(), part.rows());
            }
            try {
                sink.finish(stage);
            } catch (RuntimeException e) {
                throw failed(e, "import: finishing " + r.mode().name().toLowerCase() + " of " + r.name(),
                    new Continuation(Continuation.LOAD, manifest.parts().size() + 1, null, stage));
            }
        }
        LOG.info("import {}: done, {} parts, {} records into {}", r.target().name(), manifest.parts().size(), manifest.totalRows(), r.name());
        return new BulkOutcome(true, null, new BulkResult("import", r.target().name(), folder.toString(), "done", manifest.parts().size(),
            manifest.parts().size(), records, manifest.totalRows(), bytes, millis(t0)));
    }

    private BulkOutcome importStopped(ImportRequest r, Manifest m, Continuation next, long records, long bytes, long t0) {
        LOG.info("import {}: stopping before part {} of phase {}: time budget spent", r.target().name(), next.part(), next.phase());
        return new BulkOutcome(false, next, new BulkResult("import", r.target().name(), r.source().toString(), next.phase(), next.part() - 1,
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
                ConnectionSecrets.Mongo m = ConnectionSecrets.mongo(t.secretId(), secret, t.database());
                yield new MongoBulk.Sink(EngineFactory.mongoClient(m), m.database(), r, manifest, throttle);
            }
            case ELASTICSEARCH -> new ElasticBulk.Sink(new ElasticClient(ConnectionSecrets.elastic(t.secretId(), secret)), r, manifest, throttle);
        };
    }

    // ------------------------------------------------------------------ S3

    private boolean exists(String key) {
        try {
            s3.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw new ConnectionException("s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        }
    }

    private InputStream get(S3Uri folder, Manifest.Part part) {
        try {
            return s3.getObject(b -> b.bucket(folder.bucket()).key(folder.key(part.file())), ResponseTransformer.toInputStream());
        } catch (NoSuchKeyException e) {
            throw new ManifestMismatchException("part " + part.file() + ": listed in the manifest but not in " + folder);
        }
    }

    private Manifest readManifest(S3Uri folder, String file, String field) {
        byte[] bytes;
        try {
            bytes = s3.getObjectAsBytes(b -> b.bucket(folder.bucket()).key(folder.key(file))).asByteArray();
        } catch (NoSuchKeyException e) {
            throw new ValidationException(field + ": no " + file + " in " + folder + (file.equals(Manifest.FILE) ? "; is the export finished?" : ""));
        } catch (S3Exception e) {
            throw new ConnectionException(folder + file + ": " + e.getMessage(), e);
        }
        try {
            Manifest m = Json.MAPPER.readValue(bytes, Manifest.class);
            if (m.format() == null || m.compression() == null || m.parts() == null) {
                throw new ValidationException(field + ": " + folder + file + " lacks format, compression or parts");
            }
            return m;
        } catch (IOException e) {
            throw new ValidationException(field + ": " + folder + file + " is not a Tidemark manifest: " + e.getMessage());
        }
    }

    private void putJson(String key, Object value) {
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/json"),
                RequestBody.fromBytes(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long millis(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
