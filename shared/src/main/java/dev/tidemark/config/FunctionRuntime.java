package dev.tidemark.config;

import dev.tidemark.engine.EngineFactory;
import dev.tidemark.location.LocationReader;
import dev.tidemark.secrets.PowertoolsSecretsSource;
import software.amazon.awssdk.services.s3.S3Client;

import java.util.Map;

/**
 * What every function builds once per execution environment (at init, so SnapStart snapshots it): the environment,
 * the Secrets Manager client with its cache, and the S3 client (created on first use, or at init by
 * {@link #readyForBulk()}). {@link #engines()} reads the configuration on each call, so a bad configuration is reported
 * by the invocation as a {@link dev.tidemark.error.ValidationException}, not as a failed init.
 */
public final class FunctionRuntime {

    private final Map<String, String> env;
    private final AwsClients aws;
    private final PowertoolsSecretsSource secrets;
    private S3Client s3;

    /** @param env environment variables (the process's in Lambda; each function's own locally) */
    public FunctionRuntime(Map<String, String> env) {
        this.env = Map.copyOf(env);
        this.aws = new AwsClients(env);
        int cacheSeconds;
        try {
            cacheSeconds = TidemarkConfig.intSetting(env, "TIDEMARK_SECRET_CACHE_SECONDS", 300);
        } catch (dev.tidemark.error.ValidationException e) {
            cacheSeconds = 300; // every invocation reports the bad value through TidemarkConfig.fromEnvironment
        }
        this.secrets = new PowertoolsSecretsSource(aws.secretsManager(), cacheSeconds);
    }

    /** @return the environment */
    public Map<String, String> env() {
        return env;
    }

    /** @return this function's S3 client, created on first use and kept */
    public S3Client s3Client() {
        return s3();
    }

    private synchronized S3Client s3() {
        if (s3 == null) {
            s3 = aws.s3();
        }
        return s3;
    }

    /**
     * @return the bulk export/import service over the configured targets and the bulk bucket {@code TIDEMARK_BULK_BUCKET}
     * @throws dev.tidemark.error.ValidationException when the configuration is invalid
     */
    public dev.tidemark.bulk.BulkService bulk() {
        return new dev.tidemark.bulk.BulkService(engines(), this::s3, env.get("TIDEMARK_BULK_BUCKET"), continuationTokens());
    }

    /**
     * @return the codec of continuation tokens, keyed by the secret {@code TIDEMARK_CONTINUATION_KEY_SECRET_ID} (read on
     *         first use, cached like the connection secrets)
     * @throws dev.tidemark.error.ValidationException on first use when the variable is not set
     */
    public dev.tidemark.bulk.ContinuationCodec continuationTokens() {
        return new dev.tidemark.bulk.ContinuationCodec(() -> {
            String id = env.get("TIDEMARK_CONTINUATION_KEY_SECRET_ID");
            if (id == null || id.isBlank()) {
                throw new dev.tidemark.error.ValidationException("TIDEMARK_CONTINUATION_KEY_SECRET_ID: not set; the bulk functions sign their "
                    + "continuations with the key in that secret");
            }
            return secrets.secretString(id).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        });
    }

    /**
     * Prepares what a bulk function needs before its first invocation: builds the S3 client and primes the bulk classes
     * ({@link dev.tidemark.bulk.BulkService#prime()}). The bulk functions call this from their constructors, in Lambda's
     * init phase, so that SnapStart's snapshot holds both (building the client alone costs most of a second).
     *
     * @return this runtime
     */
    public FunctionRuntime readyForBulk() {
        s3();
        dev.tidemark.bulk.BulkService.prime();
        return this;
    }

    /**
     * @return {@code TIDEMARK_BULK_MARGIN_SECONDS}: seconds of an invocation kept free for finishing the part in hand
     *         and answering (default 60)
     */
    public int bulkMarginSeconds() {
        return TidemarkConfig.intSetting(env, "TIDEMARK_BULK_MARGIN_SECONDS", 60);
    }

    /**
     * @return the erasure service over the configured targets; its pseudonym key is the secret
     *         {@code TIDEMARK_ERASURE_KEY_SECRET_ID} (read only when a plan pseudonymises, at least 32 bytes); batches of
     *         {@code TIDEMARK_ERASURE_BATCH_SIZE} (default 1,000), PostgreSQL statements of at most 60 s
     * @throws dev.tidemark.error.ValidationException when the configuration is invalid
     */
    public dev.tidemark.erasure.ErasureService erasure() {
        int batch = TidemarkConfig.intSetting(env, "TIDEMARK_ERASURE_BATCH_SIZE", 1000);
        if (batch < 1 || batch > 10_000) {
            throw new dev.tidemark.error.ValidationException("TIDEMARK_ERASURE_BATCH_SIZE: expected 1 to 10000, got " + batch);
        }
        return new dev.tidemark.erasure.ErasureService(engines(), this::erasureKey, batch, java.time.Duration.ofSeconds(60));
    }

    /**
     * @return erasure receipts in the bucket {@code TIDEMARK_RECEIPT_BUCKET}, the subject's hash keyed by the secret
     *         {@code TIDEMARK_ERASURE_KEY_SECRET_ID}
     * @throws dev.tidemark.error.ValidationException when the bucket is not set
     */
    public dev.tidemark.erasure.ErasureReceipts erasureReceipts() {
        String bucket = env.get("TIDEMARK_RECEIPT_BUCKET");
        if (bucket == null || bucket.isBlank()) {
            throw new dev.tidemark.error.ValidationException("TIDEMARK_RECEIPT_BUCKET: not set; erasure receipts are written there");
        }
        return new dev.tidemark.erasure.ErasureReceipts(this::s3, bucket, this::erasureKey);
    }

    /**
     * @return the accepted erasure requests in the bucket {@code TIDEMARK_ERASURE_REQUEST_BUCKET}, their hashes keyed by
     *         the secret {@code TIDEMARK_ERASURE_KEY_SECRET_ID}
     * @throws dev.tidemark.error.ValidationException when the bucket is not set
     */
    public dev.tidemark.erasure.ErasureRequests erasureRequests() {
        String bucket = env.get("TIDEMARK_ERASURE_REQUEST_BUCKET");
        if (bucket == null || bucket.isBlank()) {
            throw new dev.tidemark.error.ValidationException("TIDEMARK_ERASURE_REQUEST_BUCKET: not set; accepted erasure requests are kept there");
        }
        return new dev.tidemark.erasure.ErasureRequests(this::s3, bucket, this::erasureKey);
    }

    /**
     * @return the audit trail in the bucket {@code TIDEMARK_AUDIT_BUCKET}, off when it is not set
     */
    public dev.tidemark.audit.AuditTrail audit() {
        return new dev.tidemark.audit.AuditTrail(this::s3, env.get("TIDEMARK_AUDIT_BUCKET"));
    }

    /**
     * Runs a function's operation and records it in the audit trail ({@link dev.tidemark.audit.AuditTrail#record}): the
     * actor is the execution the event names, else the invocation; the targets and {@code dryRun} come from the event.
     *
     * @param operation the operation's name
     * @param event the function's event
     * @param invocationId Lambda's request id
     * @param work the operation
     * @param counts its counts, from its result
     * @param <T> the result type
     * @return the result
     * @throws dev.tidemark.error.ValidationException naming {@code execution} when it is malformed (nothing ran)
     */
    public <T> T audited(String operation, com.fasterxml.jackson.databind.JsonNode event, String invocationId, java.util.function.Supplier<T> work,
                         java.util.function.Function<T, Map<String, Long>> counts) {
        String actor = dev.tidemark.audit.AuditTrail.actor(event, invocationId);
        return audit().record(operation, actor, dev.tidemark.audit.AuditTrail.targets(event), event.path("dryRun").asBoolean(false), work, counts);
    }

    private byte[] erasureKey() {
        String id = env.get("TIDEMARK_ERASURE_KEY_SECRET_ID");
        if (id == null || id.isBlank()) {
            throw new dev.tidemark.error.ValidationException("TIDEMARK_ERASURE_KEY_SECRET_ID: not set; pseudonyms and receipts are keyed with that "
                + "secret");
        }
        byte[] key = secrets.secretString(id).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (key.length < 32) {
            throw new dev.tidemark.error.ValidationException("TIDEMARK_ERASURE_KEY_SECRET_ID: the key must hold at least 32 bytes");
        }
        return key;
    }

    /**
     * @return engines for the configured targets
     * @throws dev.tidemark.error.ValidationException when the configuration is invalid
     */
    public EngineFactory engines() {
        return new EngineFactory(TidemarkConfig.fromEnvironment(env), secrets, new LocationReader(this::s3));
    }

    /** A function's work: reads its event and writes its answer. */
    @FunctionalInterface
    public interface Invocation {
        /** @throws IOException when the event cannot be read or the answer written */
        void run() throws java.io.IOException;
    }

    /**
     * Runs a function's invocation; a {@link dev.tidemark.error.TidemarkException} leaves it with its code and retry
     * decision appended to its message ({@link dev.tidemark.error.TidemarkException#forCaller()}), so that Lambda's
     * error payload carries them.
     *
     * @param invocation the work
     * @throws IOException as the work does
     */
    public static void answer(Invocation invocation) throws java.io.IOException {
        try {
            invocation.run();
        } catch (dev.tidemark.error.TidemarkException e) {
            throw e.forCaller();
        }
    }
}
